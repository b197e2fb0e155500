"""Headline results of a corridor run as plain data (the ``steppe run --json`` shape)."""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from typing import Any

import pandas as pd

from steppe.analysis import (
    china_europe_route_shares,
    class_flow_info,
    crossing_table,
    transit_by_country,
    unserved_table,
)
from steppe.model.corridor.tables import records
from steppe.scenario.runner import CorridorRun


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run_summary(
    run: CorridorRun, scenario: str, *, flows: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Gap, timing, unserved demand, crossings, route shares and transit of a run.

    ``flows`` is the run's :func:`~steppe.analysis.class_flow_info`, when already computed
    (the metrics share it).

    Returns
    -------
    dict
        JSON-ready: ``scenario``, ``relative_gap``, ``iterations``, ``seconds``,
        ``converged``, ``unserved`` (list), ``crossings`` (list), ``route_shares``,
        ``transit`` (t/year by country) and ``transit_bcm``.
    """
    result = run.result
    flows = class_flow_info(result, run.build) if flows is None else flows
    crossings = crossing_table(result, run.build, flows=flows)
    crossings = crossings[(crossings["tonnes"] > 0) | (crossings["bcm"] > 0)]
    shares = china_europe_route_shares(result, run.build, flows=flows)
    transit = records(transit_by_country(result, run.build, flows=flows))
    return {
        "scenario": scenario,
        "relative_gap": result.relative_gap,
        "iterations": result.iterations,
        "seconds": result.seconds,
        "converged": result.converged,
        "unserved": records(unserved_table(result, run.build, flows=flows)),
        "crossings": _records(crossings),
        "route_shares": {
            "china_europe_containers": dict(zip(shares["port"], shares["share"], strict=True))
        },
        "transit": {r["country"]: r["tonnes"] for r in transit if r["tonnes"] > 0},
        "transit_bcm": {r["country"]: r["bcm"] for r in transit if r["bcm"] > 0},
    }


def _records(table: Any) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in records(table)]


def _shares(table: Any, measure: str) -> dict[str, float]:
    rows = table[table["measure"] == measure]
    return {str(r.other): float(r.share_t) for r in rows.itertuples()}


def dependency_summary(
    run: CorridorRun,
    *,
    exposure: bool = True,
    cache: MutableMapping[tuple[str, str, float], CorridorRun] | None = None,
) -> dict[str, Any]:
    """Per trading country: partner and transit shares, HHI, balance, closure exposure.

    Returns
    -------
    dict
        ``{country: {"trade_t", "partner_shares", "transit_shares" (by the neighbour whose
        border the trade crosses; ``"sea"`` for sea legs), "transit_through" (third
        countries crossed), "hhi_partner", "hhi_transit", "balance_index",
        "closure_exposure": {neighbour: {"lost_t", "lost_share", "lost_bcm",
        "extra_cost_usd", "closure_gap"}}}}`` (shares by tonnes).
    """
    from steppe.analysis.dependency import dependency_index, trade_shares
    from steppe.scenario.exposure import exposure_table

    shares = trade_shares(run.result, run.build)
    index = dependency_index(run.result, run.build).set_index("country")
    closures = exposure_table(run, cache=cache) if exposure else None
    out: dict[str, Any] = {}
    for country, table in shares.groupby("country", sort=True):
        row = index.loc[country]
        entry: dict[str, Any] = {
            "trade_t": float(row["trade_t"]),
            "partner_shares": _shares(table, "partner"),
            "transit_shares": _shares(table, "via_neighbour"),
            "transit_through": _shares(table, "transit_through"),
            "hhi_partner": _clean(float(row["hhi_partner"])),
            "hhi_transit": _clean(float(row["hhi_via"])),
            "balance_index": _clean(float(row["balance_index"])),
            "closure_exposure": {},
        }
        if closures is not None:
            mine = closures[closures["country"] == country]
            entry["closure_exposure"] = {
                str(r["closed"]): {
                    k: _clean(float(r[k]))
                    for k in ("lost_t", "lost_share", "lost_bcm", "extra_cost_usd", "closure_gap")
                }
                for r in mine.to_dict("records")
            }
        out[str(country)] = entry
    return out


def add_dependency_and_hub(
    summary: dict[str, Any],
    run: CorridorRun,
    *,
    top: int = 15,
    exposure: bool = True,
    cache: MutableMapping[tuple[str, str, float], CorridorRun] | None = None,
) -> dict[str, Any]:
    """Add ``dependency``, ``hub_rank`` and ``transit_revenue`` to a :func:`run_summary`.

    ``hub_rank`` lists the ``top`` places by throughput (``rank``, ``place_id``, ``name``,
    ``country``, ``throughput_t``, ``transit_t``, ``betweenness``) plus Ulaanbaatar's row
    when it is not among them; ``transit_revenue`` is USD/year by country. Closure runs
    (``exposure=True``) re-solve the model once per closed country; pass ``cache`` to reuse
    them. Existing keys are left as they are.
    """
    from steppe.analysis.hub import hub_rank
    from steppe.analysis.revenue import transit_revenue_by_country

    hubs = hub_rank(run.result, run.build)
    columns = ["rank", "place_id", "name", "country", "throughput_t", "transit_t", "betweenness"]
    chosen = hubs[(hubs["rank"] <= top) | hubs["name"].str.startswith("Ulaanbaatar")]
    revenue = transit_revenue_by_country(run.result, run.build)
    summary["dependency"] = dependency_summary(run, exposure=exposure, cache=cache)
    summary["hub_rank"] = _records(chosen[columns])
    summary["transit_revenue"] = {r.country: float(r.usd) for r in revenue.itertuples()}
    return summary
