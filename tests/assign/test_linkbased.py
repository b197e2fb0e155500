"""Link-based algorithms on networks whose equilibrium is known exactly."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from steppe.assign import AssignmentConfig, ClassCost, assign
from steppe.errors import ConvergenceWarning, InputError
from steppe.model import Demand, Network

ALGORITHMS = ["msa", "fw", "cfw", "bfw"]


def two_routes() -> Network:
    """Zone 1 → zone 2 by two parallel links: t1 = 1 + x/10, t2 = 2 + x/10."""
    nodes = pd.DataFrame({"node_id": [1, 2], "zone_id": [1, 2]})
    links = pd.DataFrame(
        {
            "link_id": [1, 2],
            "from_node_id": [1, 1],
            "to_node_id": [2, 2],
            "capacity": [10.0, 20.0],
            "free_flow_time": [1.0, 2.0],
            "alpha": [1.0, 1.0],
            "beta": [1.0, 1.0],
            "toll": [0.0, 0.0],
            "length": [5.0, 1.0],
        }
    )
    return Network.from_frames(nodes, links)


def od(volume: float, demand_class: str = "all", o: int = 1, d: int = 2) -> pd.DataFrame:
    return pd.DataFrame(
        {"origin": [o], "destination": [d], "demand_class": [demand_class], "volume": [volume]}
    )


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_parallel_links_reach_the_analytic_equilibrium(algorithm):
    # equilibrium: 1 + x1/10 = 2 + (30 - x1)/10  =>  x1 = 20, x2 = 10, both cost 3
    result = assign(
        two_routes(),
        Demand.from_frame(od(30.0)),
        algorithm=algorithm,
        target_gap=1e-9,
        max_iter=20000,
    )
    flows = result.links["flow"].to_numpy()
    tol = 1e-2 if algorithm == "msa" else 1e-6
    np.testing.assert_allclose(flows, [20.0, 10.0], atol=tol * 30)
    np.testing.assert_allclose(result.links["cost"], [3.0, 3.0], atol=tol * 3)
    assert result.converged
    # Beckmann at the solution: ∫(1 + s/10) on [0,20] + ∫(2 + s/10) on [0,10]
    assert result.objective == pytest.approx(
        20 + 20 + 20 + 5, rel=1e-6 if algorithm != "msa" else 1e-3
    )


def test_distance_factor_shifts_the_equilibrium():
    # with 0.2 per length unit: 1 + x1/10 + 1 = 2 + (30 - x1)/10 + 0.2  →  x1 = 16, x2 = 14
    result = assign(
        two_routes(),
        Demand.from_frame(od(30.0)),
        algorithm="bfw",
        target_gap=1e-10,
        distance_factor=0.2,
    )
    np.testing.assert_allclose(result.links["flow"], [16.0, 14.0], atol=1e-5)


def test_convergence_table_is_tidy_and_objective_never_rises_for_fw():
    result = assign(
        two_routes(), Demand.from_frame(od(30.0)), algorithm="fw", target_gap=1e-12, max_iter=50
    )
    table = result.convergence
    assert list(table.columns) == [
        "iteration",
        "relative_gap",
        "average_excess_cost",
        "objective",
        "step",
        "direction",
        "seconds",
    ]
    assert table["iteration"].tolist() == list(range(1, len(table) + 1))
    assert (np.diff(table["objective"]) <= 1e-9).all()
    assert (table["relative_gap"] >= -1e-12).all()
    assert table["seconds"].is_monotonic_increasing


def test_unreachable_pairs_are_reported_not_dropped():
    nodes = pd.DataFrame({"node_id": [1, 2, 3], "zone_id": [1, 2, 3]})
    links = pd.DataFrame(
        {
            "link_id": [1],
            "from_node_id": [1],
            "to_node_id": [2],
            "capacity": [10.0],
            "free_flow_time": [1.0],
        }
    )
    net = Network.from_frames(nodes, links)
    demand = Demand.from_frame(
        pd.DataFrame({"origin": [1, 1, 3], "destination": [2, 3, 1], "volume": [5.0, 7.0, 2.0]})
    )
    result = assign(net, demand, algorithm="bfw", target_gap=1e-8)
    assert result.unassigned_demand == pytest.approx(9.0)
    pairs = set(zip(result.unassigned["origin"], result.unassigned["destination"], strict=True))
    assert pairs == {(1, 3), (3, 1)}
    assert result.links["flow"].tolist() == [5.0]


def test_blocked_centroid_is_never_passed_through():
    # 1 -> 2 -> 3 is cheap but 2 is a centroid closed to through traffic; 1 -> 3 direct is dear
    nodes = pd.DataFrame(
        {"node_id": [1, 2, 3], "zone_id": [1, 2, 3], "through_traffic": [False, False, False]}
    )
    links = pd.DataFrame(
        {
            "link_id": [1, 2, 3],
            "from_node_id": [1, 2, 1],
            "to_node_id": [2, 3, 3],
            "capacity": 10.0,
            "free_flow_time": [1.0, 1.0, 10.0],
        }
    )
    net = Network.from_frames(nodes, links)
    result = assign(net, Demand.from_frame(od(4.0, o=1, d=3)), algorithm="fw", target_gap=1e-9)
    assert result.links["flow"].tolist() == [0.0, 0.0, 4.0]
    opened = Network.from_frames(nodes.assign(through_traffic=True), links)
    result = assign(opened, Demand.from_frame(od(4.0, o=1, d=3)), algorithm="fw", target_gap=1e-9)
    assert result.links["flow"].tolist()[:2] == [4.0, 4.0]


def test_classes_share_congestion_but_respect_their_own_links_and_costs():
    net = two_routes()
    links = net.links.copy()
    links["allowed_uses"] = pd.array(["car", pd.NA], dtype="string")  # link 1 for cars only
    net = Network.from_frames(net.nodes, links)
    demand = Demand.from_frame(pd.concat([od(30.0, "car"), od(5.0, "truck")]))
    result = assign(net, demand, algorithm="bfw", target_gap=1e-10)
    flows = result.links
    assert flows.loc[0, "flow_truck"] == 0.0
    assert flows.loc[1, "flow_truck"] == pytest.approx(5.0)
    # cars: 1 + x1/10 = 2 + (30 - x1 + 5)/10 → x1 = 22.5
    assert flows.loc[0, "flow_car"] == pytest.approx(22.5, abs=1e-5)
    # a class with a distance penalty avoids the long link
    config = AssignmentConfig(class_costs={"truck": ClassCost(distance_factor=1.0)})
    demand = Demand.from_frame(pd.concat([od(30.0, "car"), od(5.0, "truck")]))
    free = Network.from_frames(net.nodes, net.links.assign(allowed_uses=pd.NA))
    result = assign(free, demand, config, algorithm="bfw", target_gap=1e-10)
    assert result.links.loc[0, "flow_truck"] == pytest.approx(0.0, abs=1e-6)


def test_max_iter_stop_warns_with_iterations_and_gap():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = assign(
            two_routes(), Demand.from_frame(od(37.0)), algorithm="msa", target_gap=1e-12, max_iter=3
        )
    found = [w.message for w in caught if isinstance(w.message, ConvergenceWarning)]
    assert found and found[0].iterations == 3
    assert not result.converged


@pytest.mark.parametrize(
    "options",
    [
        {"algorithm": "newton"},
        {"target_gap": -1.0},
        {"max_iter": 0},
        {"toll_factor": float("nan")},
        {"threads": 0},
        {"no_such_option": 1},
    ],
)
def test_bad_configuration_is_an_input_error(options):
    with pytest.raises(InputError):
        assign(two_routes(), Demand.from_frame(od(30.0)), **options)


@pytest.mark.parametrize("algorithm", ["fw", "bfw"])
def test_hard_capacity_holds_and_its_multiplier_is_the_queue_delay(algorithm):
    # uncapacitated equilibrium puts 20 on link 1; a hard capacity of 12 pushes 18 onto link 2.
    net = two_routes()
    links = net.links.copy()
    links["hard_capacity"] = [12.0, np.nan]
    net = Network.from_frames(net.nodes, links)
    result = assign(net, Demand.from_frame(od(30.0)), algorithm=algorithm, target_gap=1e-10)
    flows = result.links["flow"].to_numpy()
    assert flows[0] <= 12.0 * (1 + 1e-9)
    np.testing.assert_allclose(flows, [12.0, 18.0], atol=1e-6)
    # users are indifferent: 1 + 12/10 + delay = 2 + 18/10  →  delay = 1.6
    assert result.links["queue_delay"].iloc[0] == pytest.approx(1.6, abs=1e-6)
    assert result.links["queue_delay"].iloc[1] == 0.0
    np.testing.assert_allclose(result.links["cost"], [3.8, 3.8], atol=1e-6)
    assert result.converged


def test_capacity_that_does_not_bind_changes_nothing():
    net = two_routes()
    links = net.links.copy()
    links["hard_capacity"] = [25.0, 25.0]
    capped = assign(
        Network.from_frames(net.nodes, links),
        Demand.from_frame(od(30.0)),
        algorithm="bfw",
        target_gap=1e-10,
    )
    np.testing.assert_allclose(capped.links["flow"], [20.0, 10.0], atol=1e-6)
    assert (capped.links["queue_delay"] == 0).all()


def test_class_fixed_cost_column_scaled_by_factor():
    net = two_routes()
    links = net.links.copy()
    links["tariff_usd"] = [20.0, 0.0]  # 20 USD on link 1; at 10 USD/h that is 2 h
    net = Network.from_frames(net.nodes, links)
    config = AssignmentConfig(
        class_costs={"freight": ClassCost(fixed_cost_column="tariff_usd", fixed_cost_factor=0.1)}
    )
    result = assign(
        net, Demand.from_frame(od(30.0, "freight")), config, algorithm="bfw", target_gap=1e-10
    )
    # 1 + x1/10 + 2 = 2 + (30 - x1)/10  →  x1 = 10
    np.testing.assert_allclose(result.links["flow"], [10.0, 20.0], atol=1e-6)
    with pytest.raises(InputError, match="no_such_column"):
        assign(
            net,
            Demand.from_frame(od(30.0, "freight")),
            AssignmentConfig(
                class_costs={"freight": ClassCost(fixed_cost_column="no_such_column")}
            ),
        )
