"""Partner and transit shares, HHI, balance and closure exposure on the three-country network."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from three_country import solve, three_country_model

from steppe.analysis import closure_exposure, dependency_index, trade_shares
from steppe.scenario.exposure import close_borders, closure_runs, exposure_table


def shares(table, country, measure):
    rows = table[(table["country"] == country) & (table["measure"] == measure)]
    return dict(zip(rows["other"], rows["share_t"], strict=True))


def test_mongolia_partner_and_transit_shares_match_the_flows(three):
    table = trade_shares(three.result, three.build)
    # MN trade: 600 t to CN, 300 t from RU, 100 t to KR (rail through CN, then sea)
    assert shares(table, "MN", "partner") == pytest.approx({"CN": 0.6, "RU": 0.3, "KR": 0.1})
    assert shares(table, "MN", "via_neighbour") == pytest.approx({"CN": 0.7, "RU": 0.3})
    assert shares(table, "MN", "transit_through") == pytest.approx({"CN": 0.1})
    # Russia's coal to China (200 t of 1500) has only the rail route through Mongolia
    assert shares(table, "RU", "transit_through") == pytest.approx({"MN": 200 / 1500})
    assert shares(table, "KR", "via_neighbour") == pytest.approx({"sea": 1.0})


def test_hhi_and_balance_index(three):
    index = dependency_index(three.result, three.build).set_index("country")
    mn = index.loc["MN"]
    assert mn["trade_t"] == pytest.approx(1000.0)
    assert mn["hhi_partner"] == pytest.approx(0.6**2 + 0.3**2 + 0.1**2)
    assert mn["hhi_via"] == pytest.approx(0.7**2 + 0.3**2)
    assert mn["balance_index"] == pytest.approx(4 * 0.7 * 0.3)
    assert mn["largest_partner"] == "CN"


def test_values_give_value_shares(three):
    table = trade_shares(
        three.result, three.build, countries=["MN"], values={"general_cargo": 2.0, "coal": 1.0}
    )
    partner = table[table["measure"] == "partner"].set_index("other")
    assert partner.loc["CN", "value_usd"] == pytest.approx(1200.0)
    assert partner["share_value"].sum() == pytest.approx(1.0)


def test_closure_exposure_is_re_equilibrated_and_exact(three):
    cache: dict = {}
    table = exposure_table(three, countries=["MN"], cache=cache).set_index("closed")
    assert table.loc["CN", "lost_t"] == pytest.approx(700.0)  # exports to CN and KR
    assert table.loc["RU", "lost_t"] == pytest.approx(300.0)
    assert table["extra_cost_usd"].abs().max() < 1e-6  # no alternative route: nothing rerouted
    assert len(cache) == 2
    exposure_table(three, countries=["MN"], cache=cache)
    assert len(cache) == 2  # cached


def test_closure_exposure_counts_the_extra_cost_of_rerouted_trade():
    model = three_country_model()
    commodities = model.commodities.copy()
    commodities.loc[commodities["commodity"] == "coal", "allowed_modes"] = "rail;road;transfer"
    extra_tariff = pd.DataFrame(
        [{"mode": "road", "country": "*", "commodity": "coal", "cost_type": "per_km",
          "value": "1.0", "unit": "USD/t-km"}]
    )
    model = replace(
        model, commodities=commodities, tariffs=pd.concat([model.tariffs, extra_tariff])
    )
    base = solve(model)
    closed = {"MN": (lambda r: (r.result, r.build))(solve(close_borders(model, "MN")))}
    table = closure_exposure(base.result, base.build, closed=closed, countries=["RU"])
    row = table.set_index("closed").loc["MN"]
    # coal RU→CN moves from rail through MN (money 27 USD/t, 45 h) to road (100 USD/t, 15 h)
    rail = 27.0 + 0.02 * 45.0
    road = 100.0 + 0.02 * 15.0
    assert row["lost_t"] == pytest.approx(300.0)  # only RU→MN general cargo is lost
    assert row["extra_cost_usd"] == pytest.approx(200.0 * (road - rail))


def test_closure_runs_remove_every_crossing_of_the_country(three):
    runs = closure_runs(three.build.model, ["MN"])
    links = runs["MN"].build.network.links
    crossing = links[links["element"] == "crossing"]
    assert not ((crossing["from_country"] == "MN") | (crossing["to_country"] == "MN")).any()
