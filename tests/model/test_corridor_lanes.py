"""Container lanes at crossings and transshipment-priced transfers at gauge-break borders."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from test_corridor_build import gauge_model

from steppe.errors import InputError
from steppe.model.corridor import CorridorModel, build_assignment
from steppe.scenario.runner import class_costs


def lane_model(container_trains: str | None = "1") -> CorridorModel:
    model = gauge_model()
    crossings = model.crossings.assign(
        container_trains_per_day=[container_trains],
        capacity=["3"],
        capacity_unit=["trains_per_day"],
        train_payload_t=["1000"],
    )
    commodities = pd.concat(
        [
            model.commodities.assign(dispersion_per_hour=["0.01", None]),
            pd.DataFrame(
                {
                    "commodity": ["coal"],
                    "unit": ["tonne"],
                    "tonnes_per_unit": ["1"],
                    "value_of_time_usd_per_unit_hour": ["0.02"],
                    "allowed_modes": ["rail;road;transfer"],
                }
            ),
        ],
        ignore_index=True,
    )
    demand = pd.concat(
        [
            model.demand,
            pd.DataFrame(
                {"origin_zone": ["1"], "destination_zone": ["4"], "commodity": ["coal"],
                 "volume": ["500"]}
            ),
        ],
        ignore_index=True,
    )  # fmt: skip
    return CorridorModel(
        **{**model.__dict__, "crossings": crossings, "commodities": commodities, "demand": demand}
    )


def test_container_lane_only_for_containers_and_general_lane_for_the_rest():
    links = build_assignment(lane_model()).network.links
    rail = links[(links["element"] == "crossing") & (links["mode"] == "rail")]
    ab = rail[rail["from_node_id"] == 21]
    lanes = dict(zip(ab["lane"], zip(ab["allowed_uses"], ab["hard_capacity"], strict=True),
                     strict=True))  # fmt: skip
    assert set(lanes) == {"container", "general"}
    assert lanes["container"][0] == "container|MN>CN"
    assert lanes["general"][0] == "coal|MN>CN"
    # container lane: 1 train/day × 100 t (model payload); general: 3 × 1000 t (own payload)
    assert lanes["container"][1] == pytest.approx(100 * 365)
    assert lanes["general"][1] == pytest.approx(3 * 1000 * 365)


def _container_lane_capacity(model: CorridorModel) -> float:
    links = build_assignment(model).network.links
    lane = links[(links["element"] == "crossing") & (links["lane"] == "container")
                 & (links["from_node_id"] == 21)]  # fmt: skip
    return float(lane["hard_capacity"].iloc[0])


def test_container_lane_share_scales_the_exchange_left_to_containers():
    full = lane_model("4")
    shared = CorridorModel(
        **{**full.__dict__, "crossings": full.crossings.assign(container_lane_share=["0.25"])}
    )
    assert _container_lane_capacity(full) == pytest.approx(4 * 100 * 365)
    assert _container_lane_capacity(shared) == pytest.approx(1 * 100 * 365)


@pytest.mark.parametrize("share", ["0", "1.5", "-0.2"])
def test_container_lane_share_outside_zero_one_is_an_input_error(share):
    model = lane_model("4")
    bad = CorridorModel(
        **{**model.__dict__, "crossings": model.crossings.assign(container_lane_share=[share])}
    )
    with pytest.raises(InputError, match="container_lane_share"):
        build_assignment(bad)


def test_without_a_container_lane_one_link_serves_everyone():
    links = build_assignment(lane_model(None)).network.links
    rail = links[(links["element"] == "crossing") & (links["mode"] == "rail")]
    assert len(rail[rail["from_node_id"] == 21]) == 1
    assert "container" in rail["allowed_uses"].iloc[0] and "coal" in rail["allowed_uses"].iloc[0]


def test_dispersion_reaches_the_class_costs():
    build = build_assignment(lane_model())
    costs = class_costs(build)
    assert costs["container|MN>CN"].dispersion == pytest.approx(0.01)
    assert costs["coal|MN>CN"].dispersion is None


def test_road_transfer_at_a_gauge_break_border_costs_the_gauge_change():
    model = gauge_model()
    links = model.links.copy()
    road = pd.DataFrame(
        {"link_id": ["3"], "from_node_id": ["1"], "to_node_id": ["2"], "mode": ["road"],
         "country": ["MN"], "length_km": ["100"], "gauge_mm": [""], "dual_gauge": [""],
         "commercial_speed_kmh": ["50"], "status": ["operating"]}
    )  # fmt: skip
    crossings = model.crossings.assign(modes=["rail;road"])
    tariffs = pd.concat(
        [model.tariffs, pd.DataFrame({"mode": ["transfer"], "country": ["*"], "commodity": ["*"],
                                      "cost_type": ["per_transfer"], "value": ["1"],
                                      "unit": ["USD/t"]})],
        ignore_index=True,
    )  # fmt: skip
    built = build_assignment(
        CorridorModel(**{**model.__dict__, "links": pd.concat([links, road]),
                         "crossings": crossings, "tariffs": tariffs})
    ).network.links  # fmt: skip
    transfers = built[(built["element"] == "transfer") & (built["element_id"].isin([2, 3]))]
    money = transfers["money_container|MN>CN"]
    assert len(money) > 0 and (money >= 12.0 - 1e-9).all()  # 120 USD/TEU / 10 t, not 1 USD/t
    inland = built[(built["element"] == "transfer") & (built["element_id"] == 1)]
    assert math.isclose(inland["money_container|MN>CN"].max(), 1.0)
