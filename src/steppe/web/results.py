"""Results of a solved run as plain JSON data: tables, the flow map as GeoJSON, pickers."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from steppe.analysis import (
    border_table,
    dependency_index,
    hub_rank,
    time_cost_distance,
    trade_shares,
)
from steppe.scenario.runner import CorridorRun
from steppe.viz.maps import element_flows
from steppe.web.errors import ApiError

GAS = ("gas_pipeline", "natural_gas")


def jsonable(value: Any) -> Any:
    """Plain JSON data: NaN and infinities become ``null``, numpy and timestamps plain."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if value is pd.NaT:
        return None
    return value


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON records (NaN as ``null``)."""
    rows: list[dict[str, Any]] = json.loads(table.to_json(orient="records", date_format="iso"))
    return rows


def border_rows(run: CorridorRun) -> list[dict[str, Any]]:
    """:func:`steppe.analysis.border_table` of the run."""
    return records(border_table(run.result, run.build))


def _countries(run: CorridorRun) -> list[str]:
    return sorted(set(run.build.model.nodes["country"].astype(str)))


def dependency(run: CorridorRun, country: str) -> dict[str, Any]:
    """Dependency index and trade shares (balance panel) of one country."""
    if country not in _countries(run):
        raise ApiError(404, "unknown_country",
                       f"no country {country!r} in this run; one of {', '.join(_countries(run))}")
    index = dependency_index(run.result, run.build, countries=[country])
    shares = trade_shares(run.result, run.build, countries=[country])
    return {"country": country, "index": records(index), "shares": records(shares)}


def hubs(run: CorridorRun, top: int) -> list[dict[str, Any]]:
    """:func:`steppe.analysis.hub_rank`, the ``top`` places."""
    return records(hub_rank(run.result, run.build, top=top))


def tcd(run: CorridorRun, origin: str, destination: str, commodity: str | None,
        modes: Sequence[str] | None) -> list[dict[str, Any]]:
    """Time/cost–distance profile of the cheapest route of a commodity between two places."""
    try:
        profile = time_cost_distance(run.result, run.build, origin=origin,
                                     destination=destination, commodity=commodity,
                                     modes=tuple(modes) if modes else None)
    except KeyError as exc:
        raise ApiError(404, "no_such_route", str(exc).strip("'\"")) from None
    except ValueError as exc:
        raise ApiError(422, "no_such_route", str(exc)) from None
    return records(profile)


def _line(row: Any) -> dict[str, Any] | None:
    coords = [row.x0, row.y0, row.x1, row.y1]
    if not all(isinstance(c, int | float) and math.isfinite(c) for c in coords):
        return None
    gas = row.group in GAS
    return {
        "type": "Feature",
        "geometry": {"type": "LineString",
                     "coordinates": [[row.x0, row.y0], [row.x1, row.y1]]},
        "properties": {"kind": "flow", "element": row.element, "element_id": int(row.element_id),
                       "name": row.name, "group": row.group, "flow": float(row.flow),
                       "unit": "bcm/year" if gas else "t/year"},
    }


def _point(x: Any, y: Any, properties: dict[str, Any]) -> dict[str, Any] | None:
    if not all(isinstance(c, int | float) and math.isfinite(c) for c in (x, y)):
        return None
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": properties}


def flow_geojson(run: CorridorRun) -> dict[str, Any]:
    """The flow map as a GeoJSON FeatureCollection (lon/lat, WGS84).

    Lines: physical links and crossings with flow (both directions added), properties
    ``element``, ``element_id``, ``name``, ``group`` (mode), ``flow`` and ``unit``.
    Points: border crossings (``kind = "crossing"``) and places with demand
    (``kind = "place"``).
    """
    table = element_flows(run.result, run.build)
    table = table[table["flow"] > 0]
    features = [*map(_line, table.itertuples()), *_crossing_points(run), *(
        _point(p["lon"], p["lat"], {"kind": "place", "node_id": p["node_id"],
                                    "name": p["name"], "country": p["country"]})
        for p in places(run))]
    return {"type": "FeatureCollection", "features": [f for f in features if f]}


def _crossing_points(run: CorridorRun) -> list[dict[str, Any] | None]:
    nodes = run.build.model.nodes.set_index(run.build.model.nodes["node_id"].astype(int))
    lon = pd.to_numeric(nodes["x_coord"], errors="coerce")
    lat = pd.to_numeric(nodes["y_coord"], errors="coerce")
    points = []
    for c in run.build.model.crossings.itertuples():
        a, b = int(c.node_a), int(c.node_b)
        x = (lon.get(a, math.nan) + lon.get(b, math.nan)) / 2
        y = (lat.get(a, math.nan) + lat.get(b, math.nan)) / 2
        points.append(_point(float(x), float(y), {
            "kind": "crossing", "crossing_id": int(c.crossing_id), "name": str(c.name),
            "status": str(getattr(c, "status", ""))}))
    return points


def places(run: CorridorRun) -> list[dict[str, Any]]:
    """Places that send or receive demand (zones), with coordinates."""
    nodes = run.build.model.nodes
    if "zone_id" in nodes:
        nodes = nodes[nodes["zone_id"].notna() & (nodes["zone_id"].astype(str) != "")]
    return [
        {"node_id": int(r.node_id), "name": str(r.name), "country": str(r.country),
         "lon": float(pd.to_numeric(r.x_coord, errors="coerce")),
         "lat": float(pd.to_numeric(r.y_coord, errors="coerce"))}
        for r in nodes.itertuples()
    ]


def choices(run: CorridorRun) -> dict[str, Any]:
    """What the dashboard's pickers offer for a run: places, commodities, countries, modes.

    ``places`` are every named place of the model (a route may start or end at any of
    them), sorted by name.
    """
    nodes = run.build.model.nodes.sort_values("name")
    commodities = sorted(set(run.build.classes["commodity"].astype(str)))
    modes = sorted(set(run.build.network.links["mode"].astype(str)))
    return {"places": [{"node_id": int(r.node_id), "name": str(r.name), "country": str(r.country)}
                       for r in nodes.itertuples()],
            "commodities": commodities, "countries": _countries(run), "modes": modes}
