"""Headline results of a corridor run as plain data (the ``steppe run --json`` shape)."""

from __future__ import annotations

import math
from typing import Any

from steppe.analysis import (
    china_europe_route_shares,
    crossing_table,
    transit_by_country,
    unserved_table,
)
from steppe.scenario.runner import CorridorRun


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run_summary(run: CorridorRun, scenario: str) -> dict[str, Any]:
    """Gap, timing, unserved demand, crossings, route shares and transit of a run.

    Returns
    -------
    dict
        JSON-ready: ``scenario``, ``relative_gap``, ``iterations``, ``seconds``,
        ``converged``, ``unserved`` (list), ``crossings`` (list), ``route_shares``,
        ``transit`` (t/year by country) and ``transit_bcm``.
    """
    result = run.result
    crossings = crossing_table(result, run.build)
    crossings = crossings[(crossings["tonnes"] > 0) | (crossings["bcm"] > 0)]
    shares = china_europe_route_shares(result, run.build)
    transit = transit_by_country(result, run.build)
    return {
        "scenario": scenario,
        "relative_gap": result.relative_gap,
        "iterations": result.iterations,
        "seconds": result.seconds,
        "converged": result.converged,
        "unserved": unserved_table(result, run.build).to_dict("records"),
        "crossings": [
            {k: _clean(v) for k, v in row.items()} for row in crossings.to_dict("records")
        ],
        "route_shares": {
            "china_europe_containers": dict(zip(shares["port"], shares["share"], strict=True))
        },
        "transit": {r.country: r.tonnes for r in transit.itertuples() if r.tonnes > 0},
        "transit_bcm": {r.country: r.bcm for r in transit.itertuples() if r.bcm > 0},
    }
