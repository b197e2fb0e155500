"""Algorithm B on the TNTP networks against their best-known solutions (issue: must-hold).

The cases are read from ``$STEPPE_TNTP_DIR`` (default ``<repo>/../shared/tntp``); tests are
skipped with a message naming the folder when it is absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference import class_relative_gap

from steppe.assign import AssignmentConfig, ClassCost, assign, beckmann_objective
from steppe.assign.problem import build_problem
from steppe.model import Demand, Network
from tntp_cases import tntp_case

CASES = ["SiouxFalls", "Anaheim", "Chicago-Sketch"]


def _weights(case):
    return {"toll_factor": case.readme_weights.toll or 0.0,
            "distance_factor": case.readme_weights.distance or 0.0}


@pytest.mark.parametrize("name", CASES)
def test_b_to_1e10_matches_best_known_objective_to_10_digits(name):
    case = tntp_case(name)
    weights = _weights(case)
    result = assign(case.network, case.demand, algorithm="b", target_gap=1e-10, max_iter=200,
                    **weights)
    assert result.converged and result.relative_gap <= 1e-10
    assert result.unassigned.empty
    best = beckmann_objective(case.network, case.best_flows["flow"].to_numpy(), **weights)
    assert abs(result.objective - best) <= 1e-10 * abs(best), (result.objective, best)
    if name == "Chicago-Sketch":  # the README states the optimum with the same cost weights
        assert case.best_known_objective == pytest.approx(17313018.7387477, rel=1e-15)
        assert abs(result.objective - case.best_known_objective) <= 1e-10 * best
    gaps = result.convergence["relative_gap"].to_numpy()
    assert np.isfinite(gaps).all() and (gaps >= 0).all()


def test_warm_start_after_a_capacity_change_on_chicago_needs_fewer_iterations():
    case = tntp_case("Chicago-Sketch")
    weights = _weights(case)
    base = assign(case.network, case.demand, algorithm="b", target_gap=1e-10, **weights)
    links = case.network.links.copy()
    busiest = int(base.links["flow"].to_numpy().argmax())
    links.loc[links.index[busiest], "capacity"] *= 0.7
    changed = Network.from_frames(case.network.nodes, links, name="chicago-changed")
    cold = assign(changed, case.demand, algorithm="b", target_gap=1e-10, **weights)
    warm = assign(changed, case.demand, algorithm="b", target_gap=1e-10, warm_start=base,
                  **weights)
    assert warm.converged and cold.converged
    assert warm.iterations < cold.iterations
    assert warm.objective == pytest.approx(cold.objective, rel=1e-10)



def test_two_classes_on_chicago_with_a_truck_ban():
    case = tntp_case("Chicago-Sketch")
    links = case.network.links.copy()
    # ban trucks from every 15th link between two through nodes (not a centroid connector)
    through = (links["from_node_id"] > 387) & (links["to_node_id"] > 387)
    banned = np.flatnonzero(through.to_numpy())[::15]
    links["allowed_uses"] = pd.Series([pd.NA] * len(links), dtype="string")
    links.loc[links.index[banned], "allowed_uses"] = "car"
    network = Network.from_frames(case.network.nodes, links, name="chicago-two-classes")
    trips = case.demand.table
    demand = Demand.from_frame(pd.concat([
        trips.assign(demand_class="car", volume=0.9 * trips["volume"]),
        trips.assign(demand_class="truck", volume=0.1 * trips["volume"]),
    ]))
    config = AssignmentConfig(
        algorithm="b", target_gap=1e-10, max_iter=300,
        class_costs={"car": ClassCost(0.02, 0.04), "truck": ClassCost(0.02, 0.4)},
    )
    result = assign(network, demand, config)
    assert result.converged
    assert (result.links["flow_truck"].to_numpy()[banned] == 0.0).all()
    problem = build_problem(network, demand, config)
    for k in range(2):
        assert abs(class_relative_gap(problem, result, k)) <= 1e-8


@pytest.mark.slow
def test_berlin_center_reaches_1e10():
    case = tntp_case("Berlin-Center")
    result = assign(case.network, case.demand, algorithm="b", target_gap=1e-10, max_iter=200)
    assert result.converged and result.relative_gap <= 1e-10
    assert np.isfinite(result.links["flow"]).all()
