"""Flow maps on plain lon/lat axes (no map tiles or topojson: nothing to fetch).

Plotly's geo maps download their base map from a CDN at view time, so the maps here are
ordinary scatter plots in longitude/latitude with the aspect corrected for latitude, drawn
over country outlines shipped with the package (Natural Earth 1:110m, public domain; see
``basemap/README.md``); border crossings are drawn as markers.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from steppe.analysis._flows import PHYSICAL, class_link_flows
from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild
from steppe.viz.charts import SOURCE_NOTE, add_source_note

MODE_COLOURS = {
    "rail": "#1f77b4",
    "road": "#ff7f0e",
    "sea": "#17becf",
    "gas_pipeline": "#2ca02c",
    "oil_pipeline": "#8c564b",
}
WIDTHS = (1.0, 2.0, 3.5, 5.5, 8.0)


def element_flows(
    result: AssignmentResult, build: CorridorBuild, *, color_by: str = "mode"
) -> pd.DataFrame:
    """Flow per physical element and group, both directions added, with end coordinates.

    Returns
    -------
    pandas.DataFrame
        ``element``, ``element_id``, ``name``, ``group`` (mode or commodity), ``flow``
        (assignment units/year), ``x0``, ``y0``, ``x1``, ``y1`` (lon/lat).
    """
    flows = class_link_flows(result, build)
    flows = flows[flows["element"].isin(PHYSICAL) & (flows["mode"] != "transfer")]
    flows = flows.assign(group=flows["mode"] if color_by == "mode" else flows["commodity"])
    nodes = build.model.nodes.set_index(build.model.nodes["node_id"].astype(int))
    lon = pd.to_numeric(nodes["x_coord"], errors="coerce")
    lat = pd.to_numeric(nodes["y_coord"], errors="coerce")
    a = np.minimum(flows["from_node_id"] // 10, flows["to_node_id"] // 10)
    b = np.maximum(flows["from_node_id"] // 10, flows["to_node_id"] // 10)
    flows = flows.assign(a=a.to_numpy(), b=b.to_numpy())
    table = flows.groupby(["element", "element_id", "name", "group", "a", "b"], as_index=False)[
        "flow"
    ].sum()
    table["x0"], table["y0"] = table["a"].map(lon), table["a"].map(lat)
    table["x1"], table["y1"] = table["b"].map(lon), table["b"].map(lat)
    return table.drop(columns=["a", "b"])


@cache
def _country_outlines() -> tuple[tuple[float | None, ...], tuple[float | None, ...]]:
    """Country outlines as one polyline: longitudes and latitudes, rings separated by None."""
    text = resources.files("steppe.viz").joinpath("basemap/countries_110m.json").read_text()
    xs: list[float | None] = []
    ys: list[float | None] = []
    for country in json.loads(text)["countries"]:
        for ring in country["rings"]:
            xs += [p[0] for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
    return tuple(xs), tuple(ys)


def _basemap(fig: go.Figure) -> None:
    xs, ys = _country_outlines()
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="lines", line={"width": 0.6, "color": "#b8b8b0"},
            fill="toself", fillcolor="#ecebe4", hoverinfo="skip", showlegend=False,
            name="countries",
        )
    )  # fmt: skip


def _width_classes(flow: pd.Series) -> np.ndarray:
    top = float(flow.abs().max()) or 1.0
    edges = np.array([0.02, 0.1, 0.3, 0.6]) * top
    classes: np.ndarray = np.searchsorted(edges, flow.abs().to_numpy())
    return classes


def _lines(fig: go.Figure, table: pd.DataFrame, colours: dict[str, str], unit: float) -> None:
    classes = _width_classes(table["flow"])
    for (group, width), part in table.groupby([table["group"], classes]):
        xs: list[float | None] = []
        ys: list[float | None] = []
        text: list[str | None] = []
        for row in part.itertuples():
            label = f"{row.name}: {row.flow / unit:,.2f}"
            xs += [row.x0, row.x1, None]
            ys += [row.y0, row.y1, None]
            text += [label, label, None]
        dash = "dot" if group == "sea" else "solid"  # sea legs are drawn straight, not to scale
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={
                    "width": WIDTHS[int(width)],
                    "color": colours.get(str(group), "#555"),
                    "dash": dash,
                },
                name=str(group),
                legendgroup=str(group),
                showlegend=False,
                text=text,
                hoverinfo="text",
            )
        )
    for group in sorted(set(table["group"])):
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line={"color": colours.get(str(group), "#555"), "width": 4},
                name=str(group),
                legendgroup=str(group),
            )
        )


def _crossings(fig: go.Figure, build: CorridorBuild) -> None:
    nodes = build.model.nodes.set_index(build.model.nodes["node_id"].astype(int))
    cross = build.model.crossings
    lon = pd.to_numeric(nodes["x_coord"], errors="coerce")
    lat = pd.to_numeric(nodes["y_coord"], errors="coerce")
    a, b = cross["node_a"].astype(int), cross["node_b"].astype(int)
    fig.add_trace(
        go.Scatter(
            x=(a.map(lon) + b.map(lon)) / 2,
            y=(a.map(lat) + b.map(lat)) / 2,
            mode="markers",
            marker={"symbol": "x-thin", "size": 9, "line": {"width": 2, "color": "#000"}},
            name="border crossing",
            text=cross["name"],
            hoverinfo="text",
        )
    )


def _places(fig: go.Figure, build: CorridorBuild) -> None:
    nodes = build.model.nodes
    zones = (
        nodes[nodes["zone_id"].notna() & (nodes["zone_id"].astype(str) != "")]
        if ("zone_id" in nodes)
        else nodes
    )
    fig.add_trace(
        go.Scatter(
            x=pd.to_numeric(zones["x_coord"], errors="coerce"),
            y=pd.to_numeric(zones["y_coord"], errors="coerce"),
            mode="markers",
            marker={"size": 5, "color": "#333"},
            name="places",
            text=zones["name"] + " (" + zones["country"] + ")",
            hoverinfo="text",
        )
    )


def _layout(fig: go.Figure, table: pd.DataFrame, title: str, note: str) -> go.Figure:
    lons = pd.concat([table["x0"], table["x1"]]).dropna()
    lats = pd.concat([table["y0"], table["y1"]]).dropna()
    mid = float(lats.mean()) if len(lats) else 45.0
    if len(lons):  # frame the network, not the base map
        pad = 3.0
        fig.update_xaxes(range=[float(lons.min()) - pad, float(lons.max()) + pad])
        fig.update_yaxes(range=[float(lats.min()) - pad, float(lats.max()) + pad])
    fig.update_layout(
        title=title,
        height=560,
        margin={"t": 60, "l": 40, "r": 20, "b": 40},
        plot_bgcolor="#dde8ef",
        xaxis={"title": "longitude (°E)", "showgrid": True, "zeroline": False},
        yaxis={
            "title": "latitude (°N)",
            "scaleanchor": "x",
            "scaleratio": 1 / max(math.cos(math.radians(mid)), 0.2),
            "zeroline": False,
        },
        legend_title_text="line width ∝ volume",
    )
    return add_source_note(fig, note)


def flow_map(
    result: AssignmentResult,
    build: CorridorBuild,
    *,
    color_by: str = "mode",
    title: str = "Flows (Mt/year; gas bcm/year)",
    note: str = SOURCE_NOTE + " Sea legs (dotted) are drawn as straight lines.",
) -> go.Figure:
    """Map of the network's flows: width by volume, colour by mode (or commodity).

    Parameters
    ----------
    color_by
        ``"mode"`` or ``"commodity"``.
    """
    table = element_flows(result, build, color_by=color_by)
    table = table[table["flow"] > 0]
    groups = sorted(set(table["group"]))
    colours = dict(MODE_COLOURS)
    if color_by != "mode":
        palette = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2")
        colours = {g: palette[i % len(palette)] for i, g in enumerate(groups)}
    fig = go.Figure()
    _basemap(fig)
    gas = table["group"].isin(["gas_pipeline", "natural_gas"])
    scaled = table.assign(flow=np.where(gas, table["flow"] * 1e6, table["flow"]))
    _lines(fig, scaled, colours, 1e6)
    _crossings(fig, build)
    _places(fig, build)
    return _layout(fig, table, title, note)


def _element_totals(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Flow per network element (summed over classes and directions) with its end points."""
    ends = {c: (c, "first") for c in ("x0", "y0", "x1", "y1")}
    return (
        element_flows(result, build)
        .groupby(["element", "element_id", "name"], as_index=False)
        .agg(flow=("flow", "sum"), **ends)
    )


def difference_map(
    base: tuple[AssignmentResult, CorridorBuild],
    scenario: tuple[AssignmentResult, CorridorBuild],
    *,
    title: str = "Scenario − baseline (Mt/year)",
    note: str = SOURCE_NOTE,
) -> go.Figure:
    """Map of flow changes per element: red where the scenario carries more, blue less."""
    a, b = _element_totals(*base), _element_totals(*scenario)
    both = a.merge(b, on=["element", "element_id", "name"], how="outer", suffixes=("_a", "_b"))
    for c in ("x0", "y0", "x1", "y1"):
        both[c] = both[f"{c}_b"].fillna(both[f"{c}_a"])
    both["flow"] = both["flow_b"].fillna(0.0) - both["flow_a"].fillna(0.0)
    both = both[both["flow"].abs() > 1e-6 * max(float(both["flow"].abs().max()), 1.0)]
    both["group"] = np.where(both["flow"] > 0, "more", "less")
    fig = go.Figure()
    _basemap(fig)
    _lines(fig, both, {"more": "#d62728", "less": "#1f77b4"}, 1e6)
    _crossings(fig, scenario[1])
    return _layout(fig, both, title, note)
