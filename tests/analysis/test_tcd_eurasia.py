"""The Tianjin–Ulaanbaatar container TCD shows the Erenhot–Zamyn-Üüd gauge change."""

from __future__ import annotations

import pytest

from steppe.analysis import time_cost_distance
from steppe.scenario import load_eurasia, run_corridor


@pytest.fixture(scope="module")
def eurasia():
    # the route's steps are read from link attributes and equilibrium queue delays; a coarse
    # gap is enough to test that they are the values the model uses
    return run_corridor(load_eurasia(), target_gap=1e-2, max_iter=30)


def test_tianjin_ulaanbaatar_rail_containers_show_the_gauge_change(eurasia):
    tcd = time_cost_distance(
        eurasia.result, eurasia.build, origin="Tianjin", destination="Ulaanbaatar",
        commodity="container", modes=("rail",),
    )
    crossing = tcd[(tcd["element"] == "crossing") & tcd["name"].str.startswith("Zamyn")]
    yard = tcd[tcd["element"] == "transshipment"]
    assert len(crossing) == 1 and len(yard) == 1
    assert crossing.index[0] + 1 == yard.index[0]  # the yard right behind the border
    assert crossing["country"].iloc[0] == "CN>MN" and bool(yard["is_step"].iloc[0])
    links = eurasia.build.network.links.set_index("link_id")
    cls = tcd["demand_class"].iloc[0]
    queue = eurasia.result.links.set_index("link_id").get("queue_delay")
    for step in (crossing.iloc[0], yard.iloc[0]):
        link = links.loc[step["link_id"]]
        delay = 0.0 if queue is None else float(queue.loc[step["link_id"]])
        time = float(eurasia.result.links.set_index("link_id").loc[step["link_id"], "time"])
        assert step["hours"] == pytest.approx(time + delay)
        assert step["usd"] == pytest.approx(link[f"money_{cls}"])
    dwell = eurasia.build.model.crossings.set_index("crossing_id")
    row = dwell.loc[dwell.index.astype(int) == 4].iloc[0]
    assert crossing["hours"].iloc[0] >= float(row["dwell_hours_ba"])
    assert tcd["cum_km"].is_monotonic_increasing
