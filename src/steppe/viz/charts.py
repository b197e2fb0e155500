"""Charts: time/cost–distance profiles, border bars, balance across scenarios."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from steppe import __version__

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")
SOURCE_NOTE = (
    f"Source: steppe {__version__} equilibrium model runs; every input value's source is in the "
    "network's sources.csv and assumptions.csv (built-in eurasia model: base year 2023)."
)
"""Default source note printed under every chart and map."""
NOTE_WIDTH_CHARS = 150
"""Source notes wrap at this many characters (fits a 1,200 px wide PNG)."""


def add_source_note(fig: go.Figure, note: str = SOURCE_NOTE) -> go.Figure:
    """Print a source note at the bottom-left of a figure, below the axes and their labels.

    Parameters
    ----------
    fig
        The figure; its bottom margin is grown to make room for the note.
    note
        The text (a short sentence naming the data and model behind the figure).
    """
    lines = textwrap.wrap(note, width=NOTE_WIDTH_CHARS)
    bottom = int(fig.layout.margin.b or 40) + 14 * len(lines) + 10
    fig.update_layout(margin={"b": bottom})
    fig.add_annotation(
        text="<br>".join(lines), xref="paper", yref="paper", x=0, y=0, xanchor="left",
        yanchor="top", yshift=-(bottom - 14 * len(lines) - 8), showarrow=False, align="left",
        font={"size": 10, "color": "#555"},
    )  # fmt: skip
    return fig


def _staircase(profile: pd.DataFrame, value: str) -> tuple[list[float], list[float], list[str]]:
    """Points of a TCD line: a step element is drawn as a vertical rise, then its length."""
    xs, ys, labels = [0.0], [0.0], ["start"]
    km = total = 0.0
    for row in profile.itertuples():
        step = float(getattr(row, value))
        if row.is_step:
            total += step
            xs.append(km)
            ys.append(total)
            labels.append(f"{row.element}: {row.name} ({row.country})")
            km += float(row.distance_km)
        else:
            km += float(row.distance_km)
            total += step
        xs.append(km)
        ys.append(total)
        labels.append(f"{row.element}: {row.name} ({row.country})")
    return xs, ys, labels


def tcd_chart(
    profiles: Mapping[str, pd.DataFrame], *, title: str = "", note: str = SOURCE_NOTE
) -> go.Figure:
    """Time/cost–distance chart, one line per scenario (UNESCAP method).

    Parameters
    ----------
    profiles
        Scenario name → :func:`steppe.analysis.time_cost_distance` table.
    title
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels sharing the distance axis: cumulative hours and cumulative USD per
        assignment unit; borders and transshipments are vertical steps.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("time (h)", "cost (USD/t)"))
    for i, (name, profile) in enumerate(profiles.items()):
        colour = PALETTE[i % len(PALETTE)]
        for col, value in ((1, "hours"), (2, "usd")):
            xs, ys, labels = _staircase(profile, value)
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    line={"color": colour, "dash": "solid" if i == 0 else "dash"},
                    marker={"size": 4},
                    text=labels,
                    hovertemplate="%{text}<br>%{x:.0f} km, %{y:.1f}<extra>" + name + "</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text="cumulative distance (km)")
    fig.update_yaxes(title_text="cumulative time (h)", row=1, col=1)
    fig.update_yaxes(title_text="cumulative cost (USD/t)", row=1, col=2)
    fig.update_layout(
        title=title, height=440, margin={"t": 60, "l": 60, "r": 20, "b": 50},
        legend_title_text="scenario",
    )  # fmt: skip
    return add_source_note(
        fig, note + " Vertical steps: border crossings and gauge-change transshipments."
    )


def border_chart(
    tables: Mapping[str, pd.DataFrame], *, country: str = "MN", note: str = SOURCE_NOTE
) -> go.Figure:
    """Grouped bars of freight (Mt/year) per crossing and direction touching ``country``.

    Parameters
    ----------
    tables
        Scenario name → :func:`steppe.analysis.border_table`.
    country
        Country whose borders are shown.
    """
    fig = go.Figure()
    for i, (name, table) in enumerate(tables.items()):
        mine = table[(table["from_country"] == country) | (table["to_country"] == country)]
        mine = mine[mine["mode"].isin(["rail", "road"])]
        grouped = mine.groupby(["name", "direction"], as_index=False)[
            ["tonnes", "shadow_price_h"]
        ].agg({"tonnes": "sum", "shadow_price_h": "max"})
        label = grouped["name"] + " " + grouped["direction"]
        fig.add_trace(
            go.Bar(
                x=label,
                y=grouped["tonnes"] / 1e6,
                name=name,
                marker_color=PALETTE[i % len(PALETTE)],
                customdata=grouped["shadow_price_h"],
                hovertemplate="%{x}: %{y:.2f} Mt/yr<br>queue %{customdata:.1f} h"
                "<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        title=f"Border crossings of {country} (Mt/year)",
        yaxis_title="freight (Mt/year)",
        yaxis_tickformat=",~g",
        xaxis_title="crossing and direction",
        legend_title_text="scenario",
        height=460,
        margin={"t": 60, "l": 60, "r": 20, "b": 160},
    )
    return add_source_note(fig, note)


def balance_chart(
    shares: Mapping[str, pd.DataFrame],
    *,
    country: str = "MN",
    neighbours: tuple[str, ...] = ("RU", "CN"),
    note: str = SOURCE_NOTE,
) -> go.Figure:
    """Stacked shares of a country's trade: Russia / China / third countries, per scenario.

    Two panels: by trade partner and by the neighbour whose border the trade crosses.

    Parameters
    ----------
    shares
        Scenario name → :func:`steppe.analysis.trade_shares` (tonnes).
    """
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("by partner", "by border crossed"), shared_yaxes=True
    )
    groups = (*neighbours, "third countries")
    colours = dict(zip(groups, ("#d62728", "#1f77b4", "#7f7f7f"), strict=False))
    names = list(shares)
    for col, measure in ((1, "partner"), (2, "via_neighbour")):
        values: dict[str, list[float]] = {g: [] for g in groups}
        for name in names:
            table = shares[name]
            rows = table[(table["country"] == country) & (table["measure"] == measure)]
            group = rows["other"].where(rows["other"].isin(neighbours), "third countries")
            summed = rows["share_t"].groupby(group).sum()
            for g in groups:
                values[g].append(float(summed.get(g, 0.0)))
        for g in groups:
            fig.add_trace(
                go.Bar(
                    x=names,
                    y=values[g],
                    name=g,
                    legendgroup=g,
                    showlegend=col == 1,
                    marker_color=colours[g],
                    hovertemplate="%{x}: %{y:.1%}<extra>" + g + "</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_layout(
        barmode="stack",
        title=f"Balance of {country}'s trade (share of tonnes)",
        yaxis_tickformat=".0%",
        yaxis_title="share of the country's trade (tonnes)",
        legend_title_text="partner / neighbour",
        height=440,
        margin={"t": 70, "l": 60, "r": 20, "b": 60},
    )
    fig.update_xaxes(title_text="scenario")
    return add_source_note(fig, note)
