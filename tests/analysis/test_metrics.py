"""Border table, hub rank, transit revenue, corridor shares and TCD on known networks."""

from __future__ import annotations

import json

import pytest
from three_country import MN_GAS_TRANSIT_USD_PER_BCM, RAIL_USD_PER_TKM, X1_FEE_USD_PER_T

from steppe.analysis import (
    border_table,
    corridor_shares,
    hub_rank,
    place_rank,
    time_cost_distance,
    transit_revenue,
    transit_revenue_by_country,
)
from steppe.scenario.report import add_dependency_and_hub


def test_transit_revenue_of_mongolia(three):
    table = transit_revenue_by_country(three.result, three.build).set_index("country")
    mn = table.loc["MN"]
    # 200 t of Russian coal on 300 km of Mongolian rail, the X1 entry fee, 1 bcm of gas
    assert mn["freight_tariff"] == pytest.approx(200 * 300 * RAIL_USD_PER_TKM)
    assert mn["crossing_fee"] == pytest.approx(200 * X1_FEE_USD_PER_T)
    assert mn["transit_fee"] == pytest.approx(1.0 * MN_GAS_TRANSIT_USD_PER_BCM)
    assert "XX" not in table.index


def test_scenario_transit_fee_replaces_the_tariff(three):
    fees = [{"country": "MN", "commodity": "natural_gas", "usd_per_unit": 5.0}]
    table = transit_revenue(three.result, three.build, transit_fees=fees)
    row = table[(table["country"] == "MN") & (table["component"] == "transit_fee")]
    assert row["usd"].sum() == pytest.approx(5.0)


def test_hub_rank_throughput_and_transit(three):
    table = hub_rank(three.result, three.build)
    ub = table.set_index("name").loc["Ulaanbaatar"]
    # in: 300 t RU→MN + 200 t coal in transit; out from the centroid: 700 t of exports
    assert ub["throughput_t"] == pytest.approx(1200.0)
    assert ub["transit_t"] == pytest.approx(200.0)
    assert ub["betweenness"] == pytest.approx(200.0 / 2200.0)
    assert place_rank(table, three.build, "Ulaanbaatar") == int(ub["rank"])
    assert table["rank"].tolist() == list(range(1, len(table) + 1))


def test_border_table_cpmm_columns(three):
    table = border_table(three.result, three.build)
    x1 = table[(table["crossing_id"] == 1) & (table["direction"] == "RU>MN")].iloc[0]
    assert x1["tonnes"] == pytest.approx(500.0)
    assert x1["time_h"] == pytest.approx(10.0)
    assert x1["cost_usd_per_t"] == pytest.approx(X1_FEE_USD_PER_T)
    assert not x1["binding"] and x1["shadow_price_h"] == 0.0


def test_corridor_shares_sum_to_one(three):
    table = corridor_shares(three.result, three.build, origin_country="RU", by="border")
    for _, part in table.groupby(["origin_country", "destination_country"]):
        assert part["share"].sum() == pytest.approx(1.0)


def test_tcd_steps_are_the_link_times_and_money(three):
    tcd = time_cost_distance(
        three.result, three.build, origin="Ulaanbaatar", destination="KR port",
        commodity="general_cargo",
    )
    assert tcd["element"].tolist() == ["link", "crossing", "link", "link", "transfer", "link"]
    crossing = tcd[tcd["element"] == "crossing"].iloc[0]
    assert crossing["hours"] == pytest.approx(10.0) and crossing["is_step"]
    assert tcd["cum_km"].iloc[-1] == pytest.approx(200 + 1 + 100 + 50 + 1000)
    assert tcd["cum_usd"].iloc[-1] == pytest.approx(350 * RAIL_USD_PER_TKM)


def test_run_json_gains_dependency_and_hub_rank(three):
    summary = add_dependency_and_hub({"scenario": "three"}, three, top=3)
    text = json.dumps(summary)  # JSON-ready
    data = json.loads(text)
    mn = data["dependency"]["MN"]
    assert mn["partner_shares"] == pytest.approx({"CN": 0.6, "RU": 0.3, "KR": 0.1})
    assert mn["transit_shares"] == pytest.approx({"CN": 0.7, "RU": 0.3})
    assert mn["hhi_partner"] == pytest.approx(0.46)
    assert mn["closure_exposure"]["CN"]["lost_t"] == pytest.approx(700.0)
    names = [row["name"] for row in data["hub_rank"]]
    assert "Ulaanbaatar" in names and data["hub_rank"][0]["rank"] == 1
    assert data["transit_revenue"]["MN"] > 0
