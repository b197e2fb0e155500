"""Charts, maps and the self-contained HTML report."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))

from three_country import solve, three_country_model

from steppe.analysis import border_table, time_cost_distance, trade_shares
from steppe.viz import (
    ReportEntry,
    balance_chart,
    border_chart,
    build_report,
    difference_map,
    flow_map,
    tcd_chart,
)
from steppe.viz.report import headline


@pytest.fixture(scope="module")
def three():
    return solve(three_country_model())


def test_charts_build(three):
    r, b = three.result, three.build
    tcd = time_cost_distance(r, b, origin="Ulaanbaatar", destination="KR port",
                             commodity="general_cargo")
    fig = tcd_chart({"base": tcd, "again": tcd})
    assert len(fig.data) == 4
    # a border is a vertical step: two points at the same distance
    xs = fig.data[0].x
    assert any(xs[i] == xs[i + 1] for i in range(len(xs) - 1))
    assert len(border_chart({"base": border_table(r, b)}).data) == 1
    assert len(balance_chart({"base": trade_shares(r, b)}).data) == 6
    assert len(flow_map(r, b).data) > 3
    assert len(difference_map((r, b), (r, b)).data) >= 1


def _axis_titles(fig) -> list[str]:
    layout = fig.to_plotly_json()["layout"]
    axes = [v for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))
            and not v.get("matches")]  # an axis shared with another is titled there
    return [(a.get("title") or {}).get("text") or "" for a in axes]


def test_every_chart_has_axis_titles_with_units_a_legend_and_a_source_note(three):
    r, b = three.result, three.build
    tcd = time_cost_distance(r, b, origin="Ulaanbaatar", destination="KR port",
                             commodity="general_cargo")
    figures = {
        "tcd": tcd_chart({"base": tcd}),
        "border": border_chart({"base": border_table(r, b)}),
        "balance": balance_chart({"base": trade_shares(r, b)}),
        "map": flow_map(r, b),
        "difference": difference_map((r, b), (r, b)),
    }
    for name, fig in figures.items():
        titles = _axis_titles(fig)
        assert titles and all(titles), (name, titles)
        assert any("(" in t for t in titles), (name, titles)  # a unit in brackets
        notes = [a.text for a in fig.layout.annotations if a.text.startswith("Source:")]
        assert len(notes) == 1, name
        if name != "difference":
            assert any(t.name and t.showlegend is not False for t in fig.data), name


def test_report_is_self_contained(three):
    text = build_report([ReportEntry("base", three), ReportEntry("again", three)])
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=", text)
    assert "Plotly.newPlot" in text and "Headline results" in text


def test_headline_answers_the_seed_questions(three):
    row = headline(ReportEntry("base", three))
    assert row["mn_transit_revenue_usd"] > 0
    assert row["ub_hub_rank"] is not None
    assert row["mn_balance_index"] == pytest.approx(0.84)
