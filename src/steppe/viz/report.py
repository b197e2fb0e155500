"""The HTML report: one self-contained file comparing scenarios (plotly.js inline, no CDN)."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from steppe.analysis import (
    border_table,
    china_europe_route_shares,
    dependency_index,
    hub_rank,
    place_rank,
    time_cost_distance,
    trade_shares,
    transit_revenue_by_country,
    unserved_table,
)
from steppe.scenario.runner import CorridorRun
from steppe.viz.charts import balance_chart, border_chart, tcd_chart
from steppe.viz.maps import difference_map, flow_map

FOCUS = "MN"
HUB = "Ulaanbaatar"
TCD_ROUTE = ("Tianjin", "Ulaanbaatar", "container")


@dataclass(frozen=True)
class ReportEntry:
    """One scenario of a report.

    Attributes
    ----------
    name
        Label.
    run
        The solved scenario.
    description
        What the scenario changes.
    source_ids
        Ids (``sources.csv``) the scenario rests on.
    transit_fees
        Transit fees outside the link money (see
        :func:`steppe.analysis.transit_revenue`).
    notes
        Further assumptions, one line each.
    """

    name: str
    run: CorridorRun
    description: str = ""
    source_ids: Sequence[str] = ()
    transit_fees: Sequence[dict[str, Any]] = ()
    notes: Sequence[str] = field(default_factory=tuple)


def headline(entry: ReportEntry) -> dict[str, Any]:
    """The seed's questions for one scenario, as plain data.

    Returns
    -------
    dict
        ``scenario``, ``mn_transit_revenue_usd``, ``ub_hub_rank``, ``hubs``,
        ``mn_balance_index``, ``mn_china_share``, ``china_europe_shares`` (port → share),
        ``unserved_t``, ``relative_gap``.
    """
    result, build = entry.run.result, entry.run.build
    revenue = transit_revenue_by_country(result, build, transit_fees=list(entry.transit_fees))
    mn_revenue = revenue.loc[revenue["country"] == FOCUS, "usd"].sum()
    hubs = hub_rank(result, build)
    index = dependency_index(result, build, countries=[FOCUS])
    shares = china_europe_route_shares(result, build)
    unserved = unserved_table(result, build)
    balance = float(index["balance_index"].iloc[0]) if len(index) else math.nan
    china = index["largest_neighbour_share"].iloc[0] if len(index) else math.nan
    return {
        "scenario": entry.name,
        "mn_transit_revenue_usd": float(mn_revenue),
        "ub_hub_rank": _hub_rank(hubs, build),
        "hubs": len(hubs),
        "mn_balance_index": balance,
        "mn_largest_neighbour_share": float(china),
        "china_europe_shares": dict(zip(shares["port"], shares["share"], strict=True)),
        "unserved_t": float(unserved["tonnes"].sum()),
        "relative_gap": entry.run.result.relative_gap,
    }


def _hub_rank(hubs: pd.DataFrame, build: Any) -> int | None:
    """Ulaanbaatar's rank, or None in a network without it (a report on any network)."""
    try:
        return place_rank(hubs, build, HUB)
    except KeyError:
        return None


def _fmt(value: Any, kind: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "musd":
        return f"{value / 1e6:,.1f}"
    if kind == "mt":
        return f"{value / 1e6:,.2f}"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "gap":
        return f"{value:.1e}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return html.escape(str(value))


def headline_table(rows: list[dict[str, Any]]) -> str:
    """HTML table of the headline results, one row per scenario."""
    head = (
        "<tr><th>scenario</th><th>Mongolia transit revenue (USD m/yr)</th>"
        "<th>Ulaanbaatar hub rank</th><th>Mongolia balance index</th>"
        "<th>largest neighbour's share of MN trade</th><th>China–Europe rail shares</th>"
        "<th>unserved (Mt/yr)</th><th>relative gap</th></tr>"
    )
    body = []
    for r in rows:
        shares = ", ".join(
            f"{html.escape(str(p))} {s:.0%}" for p, s in r["china_europe_shares"].items()
        )
        rank = "–" if r["ub_hub_rank"] is None else f"{r['ub_hub_rank']} of {r['hubs']}"
        body.append(
            f"<tr><td>{html.escape(r['scenario'])}</td>"
            f"<td>{_fmt(r['mn_transit_revenue_usd'], 'musd')}</td><td>{rank}</td>"
            f"<td>{_fmt(r['mn_balance_index'])}</td>"
            f"<td>{_fmt(r['mn_largest_neighbour_share'], 'share')}</td>"
            f"<td>{shares}</td><td>{_fmt(r['unserved_t'], 'mt')}</td>"
            f"<td>{_fmt(r['relative_gap'], 'gap')}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _figure(fig: go.Figure, collect: dict[str, go.Figure] | None = None) -> str:
    if collect is not None:
        title = str(fig.layout.title.text or f"figure {len(collect) + 1}")
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "figure"
        collect[f"{len(collect) + 1:02d}-{slug}"] = fig
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            config={"displaylogo": False, "responsive": True},
        )
    )


def _frame_html(table: pd.DataFrame, *, limit: int = 400) -> str:
    return str(table.head(limit).to_html(index=False, na_rep="", border=0, escape=True))


def _assumptions(entry: ReportEntry) -> str:
    model = entry.run.build.model
    parts = [f"<h3>{html.escape(entry.name)}</h3>"]
    if entry.description:
        parts.append(f"<p>{html.escape(entry.description)}</p>")
    switched = ", ".join(f"{k} {i}" for k, i in sorted(model.switched_on)) or "none"
    parts.append(
        f"<p>Model <code>{html.escape(model.name)}</code>, network year "
        f"{model.parameters.year}; planned elements switched on: {html.escape(switched)}.</p>"
    )
    parts.extend(f"<p>{html.escape(n)}</p>" for n in entry.notes)
    sources = model.sources
    if entry.source_ids and len(sources) and "source_id" in sources:
        cited = sources[sources["source_id"].isin(list(entry.source_ids))]
        parts.append("<p>Sources of the scenario:</p>" + _frame_html(cited))
    return "".join(parts)


def _provenance(entries: Sequence[ReportEntry]) -> str:
    seen: set[str] = set()
    parts = []
    for entry in entries:
        model = entry.run.build.model
        if model.name in seen:
            continue
        seen.add(model.name)
        for label, table in (("Assumptions", model.assumptions), ("Sources", model.sources)):
            if len(table):
                parts.append(
                    f"<details><summary>{label} of the <code>{html.escape(model.name)}</code> "
                    f"data ({len(table)})</summary>{_frame_html(table)}</details>"
                )
    return "".join(parts)


def _tcd_section(
    entries: Sequence[ReportEntry], collect: dict[str, go.Figure] | None = None
) -> str:
    origin, destination, commodity = TCD_ROUTE
    profiles = {}
    for e in entries:
        try:
            profile = time_cost_distance(
                e.run.result,
                e.run.build,
                origin=origin,
                destination=destination,
                commodity=commodity,
                modes=("rail",),
            )
        except KeyError:  # a model without these places or this commodity
            continue
        if len(profile):
            profiles[e.name] = profile
    if not profiles:
        return "<p>No rail route from Tianjin to Ulaanbaatar.</p>"
    first = next(iter(profiles.values()))
    steps = first[first["is_step"]][
        ["element", "name", "country", "distance_km", "hours", "usd", "usd_per_unit"]
    ]
    return (
        _figure(tcd_chart(profiles, title="Tianjin → Ulaanbaatar, containers by rail"), collect)
        + f"<p>Steps of the route in <em>{html.escape(next(iter(profiles)))}</em> "
        "(hours include queueing delay; USD per tonne and per TEU):</p>"
        + _frame_html(steps.round(2))
    )


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1200px;
color:#222;padding:0 1em}table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eee}h2{border-bottom:2px solid #ddd;margin-top:2em}details{margin:.5em 0}
code{background:#f3f3f3;padding:0 .2em}
"""


def build_report(
    entries: Sequence[ReportEntry],
    *,
    title: str = "steppe — corridor scenarios",
    exposure: pd.DataFrame | None = None,
    figures: dict[str, go.Figure] | None = None,
) -> str:
    """The HTML text of a report comparing ``entries`` (the first is the reference).

    Everything is inline: plotly.js, data and styles; the file makes no network request.

    Parameters
    ----------
    exposure
        Optional closure-exposure rows (``scenario`` plus the columns of
        :func:`steppe.scenario.exposure.exposure_table`) shown under "Balance".
    figures
        A dict to receive every figure by a file-name slug (e.g. for PNG export).
    """
    if not entries:
        raise ValueError("a report needs at least one scenario")
    rows = [headline(e) for e in entries]
    base = entries[0]
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Headline results</h2>",
        headline_table(rows),
        "<p>Balance index: 4·s<sub>RU</sub>·s<sub>CN</sub> of Mongolia's trade by the border "
        "it crosses (1 = even, 0 = one neighbour); see <code>docs/methods.md</code>.</p>",
        "<h2>Flows</h2>",
        _figure(flow_map(base.run.result, base.run.build, title=f"Flows — {base.name}"), figures),
    ]
    for e in entries[1:]:
        fig = difference_map(
            (base.run.result, base.run.build),
            (e.run.result, e.run.build),
            title=f"{e.name} − {base.name} (Mt/year)",
        )
        sections.append(_figure(fig, figures))
    sections += ["<h2>Time/cost–distance</h2>", _tcd_section(entries, figures)]
    borders = {e.name: border_table(e.run.result, e.run.build) for e in entries}
    sections += ["<h2>Borders</h2>", _figure(border_chart(borders), figures)]
    sections.append(
        "<details><summary>Border table (CPMM style) — "
        f"{html.escape(base.name)}</summary>"
        + _frame_html(borders[base.name][borders[base.name]["tonnes"] > 0].round(3))
        + "</details>"
    )
    shares = {e.name: trade_shares(e.run.result, e.run.build, countries=[FOCUS]) for e in entries}
    sections += ["<h2>Balance</h2>", _figure(balance_chart(shares), figures)]
    if exposure is not None and len(exposure):
        sections.append(
            "<p>Closure exposure (re-equilibrated with every crossing of the closed country "
            "removed):</p>" + _frame_html(exposure.round(3))
        )
    sections += ["<h2>Assumptions and sources</h2>"]
    sections += [_assumptions(e) for e in entries]
    sections.append(_provenance(entries))
    plotly_js = get_plotlyjs()
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"<script type='text/javascript'>{plotly_js}</script></head><body>"
        + "\n".join(sections)
        + "</body></html>"
    )


def write_report(entries: Sequence[ReportEntry], path: str | Path, **options: Any) -> Path:
    """Write :func:`build_report` to ``path`` (folders are created); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(build_report(entries, **options), encoding="utf-8")
    return target
