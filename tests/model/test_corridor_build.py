"""Corridor builder: gauge breaks, dual gauge, crossings, capacities, classes."""

from __future__ import annotations

import pandas as pd
import pytest

from steppe.assign import AssignmentConfig, assign
from steppe.errors import InputError
from steppe.model.corridor import CorridorModel, CorridorParameters, build_assignment
from steppe.scenario.runner import class_costs

COMMODITIES = pd.DataFrame(
    {
        "commodity": ["container", "natural_gas"],
        "unit": ["TEU", "bcm"],
        "tonnes_per_unit": ["10", None],
        "value_of_time_usd_per_unit_hour": ["5", None],
        "allowed_modes": ["rail;road;transfer", "gas_pipeline"],
    }
)
TARIFFS = pd.DataFrame(
    {
        "mode": ["rail", "rail"],
        "country": ["*", "*"],
        "commodity": ["*", "container"],
        "cost_type": ["per_km", "gauge_change"],
        "value": ["0.05", "120"],
        "unit": ["USD/t-km", "USD/TEU"],
    }
)


def gauge_model(*, dual_gauge: bool = False, gauge_change: bool = True) -> CorridorModel:
    """A(1520) —rail— B | border | C —rail(1435)— D; containers go from A to D."""
    nodes = pd.DataFrame(
        {
            "node_id": ["1", "2", "3", "4"],
            "name": ["A", "B", "C", "D"],
            "country": ["MN", "MN", "CN", "CN"],
            "x_coord": ["0", "1", "1.01", "2"],
            "y_coord": ["0", "0", "0", "0"],
        }
    )
    links = pd.DataFrame(
        {
            "link_id": ["1", "2"],
            "from_node_id": ["1", "3"],
            "to_node_id": ["2", "4"],
            "mode": ["rail", "rail"],
            "country": ["MN", "CN"],
            "length_km": ["100", "100"],
            "gauge_mm": ["1520", "1520" if dual_gauge else "1435"],
            "dual_gauge": ["false", "true" if dual_gauge else "false"],
            "commercial_speed_kmh": ["20", "20"],
            "status": ["operating", "operating"],
        }
    )
    crossings = pd.DataFrame(
        {
            "crossing_id": ["7"],
            "name": ["B–C"],
            "node_a": ["2"],
            "node_b": ["3"],
            "country_a": ["MN"],
            "country_b": ["CN"],
            "modes": ["rail"],
            "length_km": ["1"],
            "dwell_hours_ab": ["10"],
            "dwell_hours_ba": ["12"],
            "gauge_change": ["true" if gauge_change else "false"],
            "transshipment_capacity_ab": ["2"],
            "transshipment_capacity_ba": [None],
            "status": ["operating"],
        }
    )
    demand = pd.DataFrame(
        {
            "origin_zone": ["1"],
            "destination_zone": ["4"],
            "commodity": ["container"],
            "volume": ["1000"],
        }
    )
    return CorridorModel(
        nodes=nodes,
        links=links,
        crossings=crossings,
        commodities=COMMODITIES,
        tariffs=TARIFFS,
        demand=demand,
        parameters=CorridorParameters(train_payload_t=100.0),
    )


def solve(model):
    """Solve; ``class_cost`` is the container class's generalized cost per link (hours)."""
    build = build_assignment(model)
    result = assign(
        build.network,
        build.demand,
        AssignmentConfig(algorithm="fw", target_gap=1e-9, class_costs=class_costs(build)),
    )
    money = build.network.links["money_container|MN>CN"]
    links = result.links.merge(build.network.links[["link_id", "element", "name"]])
    links["class_cost"] = links["time"] + money.to_numpy() / 0.5  # VOT 5 USD/TEU-h = 0.5 /t-h
    return build, links


def test_containers_changing_gauge_pay_transshipment_time_and_cost():
    build, links = solve(gauge_model())
    used = links[links["flow"] > 0]
    yard = used[used["element"] == "transshipment"]
    assert len(yard) == 1
    # 120 USD/TEU = 12 USD/t; at 5 USD/TEU-h = 0.5 USD/t-h that is 24 h of generalized cost
    money = build.network.links.loc[yard.index[0], "money_container|MN>CN"]
    assert money == pytest.approx(12.0)
    assert yard["class_cost"].iloc[0] == pytest.approx(24.0)
    # the yard's capacity: 2 trains/day × 100 t × 365
    assert build.network.links.loc[yard.index[0], "hard_capacity"] == pytest.approx(73_000)
    # route: 5 h + 5 h rail, 10 h dwell, plus 0.05 USD/t-km × 200 km = 10 USD/t = 20 h
    total = used["class_cost"].sum()
    assert total == pytest.approx(5 + 5 + 10 + 20 + 24, rel=1e-9)
    assert used["flow"].max() == pytest.approx(10_000)  # 1000 TEU × 10 t


def test_dual_gauge_link_removes_the_transshipment():
    _build, links = solve(gauge_model(dual_gauge=True))
    used = links[links["flow"] > 0]
    assert "transshipment" not in set(used["element"])
    assert used["class_cost"].sum() == pytest.approx(5 + 5 + 10 + 20, rel=1e-9)


def test_yard_capacity_binds_and_excess_is_unserved_not_lost():
    model = gauge_model()
    model = CorridorModel(**{**model.__dict__, "demand": model.demand.assign(volume="10000")})
    _build, links = solve(model)
    yard = links[links["element"] == "transshipment"]
    assert yard["flow"].max() <= 73_000 * (1 + 1e-9)
    unserved = links[links["element"] == "unserved"]["flow"].sum()
    assert unserved == pytest.approx(100_000 - 73_000, rel=1e-6)


def test_planned_elements_only_when_switched_on():
    model = gauge_model()
    model.links.loc[1, "status"] = "planned"
    build = build_assignment(model)
    assert 2 not in set(
        build.network.links.loc[build.network.links["element"] == "link", "element_id"]
    )
    on = CorridorModel(**{**model.__dict__, "switched_on": frozenset({("link", 2)})})
    assert 2 in set(build_assignment(on).network.links["element_id"])


def test_bad_tables_raise_input_errors():
    model = gauge_model()
    bad = CorridorModel(**{**model.__dict__, "demand": model.demand.assign(commodity="tea")})
    with pytest.raises(InputError, match="tea"):
        build_assignment(bad)
    links = model.links.assign(gauge_mm=["1000", "1435"])
    with pytest.raises(InputError, match="gauge_mm"):
        build_assignment(CorridorModel(**{**model.__dict__, "links": links}))
