"""Differences between two run summaries: crossings, route shares, transit, costs, unserved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TOLERANCE = 1e-6
"""Relative change below which a value counts as unchanged."""


def _changed(a: float, b: float) -> bool:
    return abs(b - a) > TOLERANCE * max(1.0, abs(a), abs(b))


def _pairs(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, dict[str, float]]:
    out = {}
    for key in sorted(set(a) | set(b)):
        x, y = float(a.get(key) or 0.0), float(b.get(key) or 0.0)
        if _changed(x, y):
            out[key] = {"a": x, "b": y, "delta": y - x}
    return out


def _crossing_key(row: Mapping[str, Any]) -> str:
    return f"{row['name']} | {row['from_country']}>{row['to_country']} | {row['mode']}"


def _crossings(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    left = {_crossing_key(r): r for r in a}
    right = {_crossing_key(r): r for r in b}
    rows = []
    for key in sorted(set(left) | set(right)):
        x, y = left.get(key, {}), right.get(key, {})
        row: dict[str, Any] = {"crossing": key}
        moved = False
        for measure in ("tonnes", "teu", "bcm"):
            va, vb = float(x.get(measure) or 0.0), float(y.get(measure) or 0.0)
            row[f"{measure}_a"], row[f"{measure}_b"], row[f"{measure}_delta"] = va, vb, vb - va
            moved |= _changed(va, vb)
        if moved:
            rows.append(row)
    return sorted(rows, key=lambda r: -abs(r["tonnes_delta"]) - 1e9 * abs(r["bcm_delta"]))


def _unserved(summary: Mapping[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for row in summary.get("unserved", []):
        out[row["commodity"]] = out.get(row["commodity"], 0.0) + float(row["volume"])
    return out


def compare_summaries(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """What changes from run A to run B.

    Parameters
    ----------
    a, b
        Run summaries (:func:`steppe.scenario.execute.scenario_summary`).

    Returns
    -------
    dict
        ``a``, ``b`` (scenario names), ``crossings`` (changed crossing volumes: tonnes, TEU,
        bcm per year, A, B and delta), ``route_shares`` (China–Europe container share by
        port), ``transit`` (t/yr by country), ``transit_bcm``, ``costs``
        (``total_generalized_usd``, ``import_usd_per_t`` by country, ``by_class`` USD per
        unit), ``unserved`` (commodity units by commodity) and ``transit_fees`` (USD/yr).
        Only changed entries are listed.
    """
    costs_a, costs_b = a.get("costs", {}), b.get("costs", {})
    return {
        "a": a.get("scenario"),
        "b": b.get("scenario"),
        "crossings": _crossings(a.get("crossings", []), b.get("crossings", [])),
        "route_shares": _pairs(
            a["route_shares"]["china_europe_containers"],
            b["route_shares"]["china_europe_containers"],
        ),
        "transit": _pairs(a.get("transit", {}), b.get("transit", {})),
        "transit_bcm": _pairs(a.get("transit_bcm", {}), b.get("transit_bcm", {})),
        "costs": {
            "total_generalized_usd": _pairs(
                {"total": costs_a.get("total_generalized_usd", 0.0)},
                {"total": costs_b.get("total_generalized_usd", 0.0)},
            ).get("total"),
            "import_usd_per_t": _pairs(
                costs_a.get("import_usd_per_t", {}), costs_b.get("import_usd_per_t", {})
            ),
            "by_class": _pairs(costs_a.get("by_class", {}), costs_b.get("by_class", {})),
        },
        "unserved": _pairs(_unserved(a), _unserved(b)),
        "transit_fees": _pairs(
            {f"{f['country']}:{f['commodity']}": f["revenue_usd"]
             for f in a.get("transit_fees", [])},
            {f"{f['country']}:{f['commodity']}": f["revenue_usd"]
             for f in b.get("transit_fees", [])},
        ),
    }
