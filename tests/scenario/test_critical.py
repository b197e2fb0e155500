"""Criticality ranking and select-link on the tiny two-route model."""

from __future__ import annotations

import pandas as pd
import pytest

from steppe.scenario.critical import criticality, loaded_elements, select_link
from steppe.scenario.execute import run_scenario
from steppe.scenario.spec import load_scenario


@pytest.fixture
def solved(tiny):
    return run_scenario(load_scenario(tiny))


def test_loaded_elements_are_the_used_route(solved):
    loaded = loaded_elements(solved)
    # crossing A is full (20 Mt/yr), the other 10 Mt/yr take route B
    assert set(zip(loaded["element"], loaded["element_id"], strict=True)) == {
        ("crossing", 1), ("crossing", 2), ("link", 1), ("link", 2), ("link", 3), ("link", 4)}


def test_closing_the_uncapped_route_leaves_demand_unserved(solved):
    table = criticality(solved, workers=1).set_index(["element", "element_id"])
    assert table["rank"].tolist() == list(range(1, 7))
    # closing route B: crossing A takes its 20 Mt/yr, 10 of the 30 Mt/yr are left unserved
    assert table.loc[("crossing", 2), "extra_unserved"] == pytest.approx(10e6, rel=1e-6)
    assert table.loc[("crossing", 2), "rank"] <= 3
    # closing route A: everything takes the longer route B, nothing is unserved
    assert table.loc[("crossing", 1), "extra_unserved"] == pytest.approx(0.0, abs=1e-3)
    assert table.loc[("crossing", 1), "rank"] >= 4
    assert (table["extra_cost_usd"] > 0).all() and table["converged"].all()
    assert table.loc[("crossing", 1), "name"] == "Crossing A"


def test_parallel_criticality_matches_serial(solved):
    subset = pd.DataFrame({"element": ["crossing", "link"], "element_id": [2, 4]})
    serial = criticality(solved, elements=subset, workers=1)
    parallel = criticality(solved, elements=subset, workers=2)
    pd.testing.assert_series_equal(serial["extra_cost_usd"], parallel["extra_cost_usd"])


def test_select_link_names_the_classes_and_od_pairs(solved):
    table = select_link(solved, "crossing", 2)
    assert set(table["demand_class"]) == {"coal|MN>CN"}
    assert table["flow"].sum() == pytest.approx(10e6, rel=1e-6)
    assert table["on_least_cost_path"].all()
    assert table["share_of_class"].iloc[0] == pytest.approx(1 / 3, rel=1e-6)
