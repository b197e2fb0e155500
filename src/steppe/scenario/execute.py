"""Run a scenario: load its base, apply its edits, build, assign and summarise."""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from steppe import __version__
from steppe.assign import AssignmentConfig, AssignmentResult, assign
from steppe.assign.linkbased import Progress
from steppe.data import eurasia_folder
from steppe.io.corridor import read_corridor_folder
from steppe.model.corridor import CorridorBuild, CorridorModel, build_assignment
from steppe.scenario.edits import apply_build_edits, apply_edits, diff_tables, transit_fee_terms
from steppe.scenario.report import run_summary
from steppe.scenario.runner import CorridorRun, class_costs
from steppe.scenario.spec import Scenario


@dataclass(frozen=True)
class ScenarioRun(CorridorRun):
    """A solved scenario: build, result, the scenario and its identity.

    Attributes
    ----------
    scenario
        The scenario run (with its parameter values).
    scenario_hash
        Content hash (scenario content, input checksums, steppe version).
    input_checksums
        SHA-256 of every file of the base model folder.
    wall_seconds
        Wall time of edit + build + assign, seconds.
    """

    scenario: Scenario | None = None
    scenario_hash: str = ""
    input_checksums: Mapping[str, str] | None = None
    wall_seconds: float = 0.0


def _base_folder(base: str) -> Path:
    return eurasia_folder() if base == "eurasia" else Path(base)


@functools.lru_cache(maxsize=8)
def _read_base(folder: str, stamp: tuple[tuple[str, float], ...]) -> CorridorModel:
    # keyed by the files' modification times: an edited data file is read afresh
    name = "eurasia" if Path(folder) == eurasia_folder() else Path(folder).name
    return read_corridor_folder(folder, name=name)


def input_checksums(base: str) -> dict[str, str]:
    """SHA-256 of each CSV file of a base model folder (``"eurasia"`` or a path)."""
    folder = _base_folder(base)
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob("*.csv"))
    }


def load_base(base: str) -> tuple[CorridorModel, dict[str, str]]:
    """The base model of a scenario and its input checksums (read once per file state)."""
    folder = _base_folder(base)
    stamp = tuple((p.name, p.stat().st_mtime) for p in sorted(folder.glob("*.csv")))
    return _read_base(str(folder), stamp), input_checksums(base)


def scenario_hash(scenario: Scenario) -> str:
    """Content hash of a scenario with its current base files."""
    return scenario.content_hash(input_checksums(scenario.base))


def build_scenario(scenario: Scenario) -> tuple[CorridorBuild, dict[str, str]]:
    """Apply a scenario's edits to its base and build the assignment network."""
    base, checksums = load_base(scenario.base)
    edited = apply_edits(base, scenario)
    build = apply_build_edits(build_assignment(edited.model), edited.build_edits)
    return build, checksums


def assignment_config(build: CorridorBuild, scenario: Scenario, **options: Any) -> AssignmentConfig:
    """Assignment settings of a scenario (``options`` override, e.g. ``threads``)."""
    settings: dict[str, Any] = {
        "algorithm": scenario.algorithm,
        "target_gap": scenario.gap,
        "max_iter": scenario.max_iter,
        **options,
    }
    costs = class_costs(build)
    if scenario.route_choice == "deterministic":
        costs = {k: replace(v, dispersion=None) if hasattr(v, "dispersion") else v
                 for k, v in costs.items()}
    return AssignmentConfig(class_costs=costs, **settings)


def run_scenario(
    scenario: Scenario,
    *,
    progress: Progress | None = None,
    warm_start: AssignmentResult | None = None,
    **options: Any,
) -> ScenarioRun:
    """Build and solve a scenario.

    Parameters
    ----------
    scenario
        The scenario.
    progress
        Called with (iteration, relative gap).
    warm_start
        An earlier result on the same links and demand, to start from.
    **options
        :class:`~steppe.assign.AssignmentConfig` fields overriding the scenario's.

    Returns
    -------
    ScenarioRun
    """
    start = time.perf_counter()
    build, checksums = build_scenario(scenario)
    config = assignment_config(build, scenario, **options)
    result = assign(build.network, build.demand, config, progress=progress, warm_start=warm_start)
    return ScenarioRun(
        build=build,
        result=result,
        scenario=scenario,
        scenario_hash=scenario.content_hash(checksums),
        input_checksums=checksums,
        wall_seconds=time.perf_counter() - start,
    )


def diff_scenario(scenario: Scenario) -> pd.DataFrame:
    """What a scenario changes in its base: one row per changed cell, row or parameter."""
    base, _ = load_base(scenario.base)
    return diff_tables(base, apply_edits(base, scenario).model)


def class_cost_table(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Generalized cost per demand class: money, hours and money + value of time × hours.

    Returns
    -------
    pandas.DataFrame
        ``demand_class``, ``commodity``, ``origin_country``, ``destination_country``,
        ``volume`` (assignment units/yr), ``served`` (volume not on the unserved link),
        ``money_usd``, ``hours`` (unit-hours incl. queueing), ``generalized_usd`` (per year)
        and ``usd_per_unit`` (per assignment unit: tonne, or bcm).
    """
    links = build.network.links
    res = _aligned(result.links, links["link_id"])
    delay = res("queue_delay") if "queue_delay" in result.links else 0.0
    hours = res("time") + delay
    unserved = (links["element"] == "unserved").to_numpy()
    volumes = _class_volumes(build)
    rows = []
    single = len(build.classes) == 1
    for c in build.classes.itertuples():
        flow = res("flow" if single else f"flow_{c.demand_class}")
        money = float(np.dot(flow, links[c.money_column].to_numpy(float)))
        h = float(np.dot(flow, hours))
        volume = volumes(str(c.demand_class))
        rows.append({
            "demand_class": c.demand_class, "commodity": c.commodity,
            "origin_country": c.origin_country, "destination_country": c.destination_country,
            "volume": volume, "served": volume - float(flow[unserved].sum()),
            "money_usd": money, "hours": h,
            "generalized_usd": money + float(c.vot_usd_per_unit_hour) * h,
        })
    table = pd.DataFrame(rows)
    table["usd_per_unit"] = table["generalized_usd"] / table["volume"].where(table["volume"] > 0)
    return table


def _aligned(table: pd.DataFrame, link_ids: pd.Series) -> Callable[[str], np.ndarray]:
    """Columns of a result's link table in the order of ``link_ids`` (KeyError if one lacks)."""
    position = pd.Index(table["link_id"]).get_indexer(link_ids)
    if (position < 0).any():
        raise KeyError(f"link ids not in the result: {list(link_ids[position < 0])}")
    return lambda column: table[column].to_numpy()[position]


def _class_volumes(build: CorridorBuild) -> Callable[[str], float]:
    """Total demand of a class (as ``Demand.total``), the table read once."""
    volume = build.demand.table["volume"].to_numpy()
    classes = build.demand.table["demand_class"].to_numpy(dtype=object)
    return lambda demand_class: float(volume[classes == demand_class].sum())


def import_costs(costs: pd.DataFrame) -> dict[str, float]:
    """Generalized cost per tonne of each country's freight imports (USD/t, tonne classes)."""
    freight = costs[(costs["origin_country"] != costs["destination_country"])
                    & costs["commodity"].ne("natural_gas")]
    sums = freight.groupby("destination_country")[["volume", "generalized_usd"]].sum()
    return {
        str(country): float(usd / volume)
        for country, volume, usd in zip(sums.index, sums["volume"], sums["generalized_usd"],
                                        strict=True)
        if volume > 0
    }


def transit_fee_revenue(run: ScenarioRun) -> list[dict[str, Any]]:
    """Fees of the scenario's ``transit_fee`` edits times the volumes in transit."""
    if run.scenario is None:
        return []
    links = run.build.network.links
    by_link = run.result.links.set_index("link_id")
    single = len(run.build.classes) == 1
    out = []
    for edit, fields in run.scenario.resolved_edits():
        if edit.op != "transit_fee":
            continue
        revenue, volume = 0.0, 0.0
        for column, mask, fee in transit_fee_terms(links, run.build, fields | {
                "modes": fields.get("modes")}):
            cls = column.removeprefix("money_")
            flow = by_link["flow" if single else f"flow_{cls}"].reindex(links.loc[mask, "link_id"])
            # positive flows only (a missing link or a zero flow moves nothing), summed in
            # link order like the per-link sum this replaces
            moved = float(sum(v if v > 0 else 0.0 for v in flow.tolist()))
            volume += moved
            revenue += moved * fee
        out.append({"country": fields["country"], "commodity": fields["commodity"],
                    "volume": volume, "fee": fields["value"], "unit": fields["unit"],
                    "revenue_usd": revenue, "route_choice": fields.get("route_choice", True)})
    return out


def transit_fees_outside_route_choice(
    scenario: Scenario, build: CorridorBuild
) -> list[dict[str, Any]]:
    """The scenario's ``transit_fee`` edits kept out of route choice, in USD per assignment unit.

    Such fees are paid by transit freight but do not steer it (e.g. a pipeline transit fee);
    the report adds them to the country's transit revenue.
    """
    fees = []
    for edit, fields in scenario.resolved_edits():
        if edit.op != "transit_fee" or fields.get("route_choice", True):
            continue
        commodity = build.commodities[fields["commodity"]]
        per_unit = 1.0 if fields["unit"] == "USD/t" else commodity.units_per_assignment_unit
        fees.append({"country": fields["country"], "commodity": fields["commodity"],
                     "usd_per_unit": float(fields["value"]) * per_unit,
                     "modes": fields.get("modes")})  # fmt: skip
    return fees


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def scenario_summary(run: ScenarioRun) -> dict[str, Any]:
    """:func:`~steppe.scenario.report.run_summary` plus identity, costs and scenario extras.

    Returns
    -------
    dict
        The keys of ``run_summary`` and ``scenario_hash``, ``steppe_version``,
        ``algorithm``, ``costs`` (``by_class`` USD per unit, ``import_usd_per_t`` by
        country, ``total_generalized_usd``), ``transit_fees`` and, when the scenario asks
        for them, ``route_options``.
    """
    assert run.scenario is not None
    summary = run_summary(run, run.scenario.name)
    costs = class_cost_table(run.result, run.build)
    summary.update({
        "scenario_hash": run.scenario_hash,
        "steppe_version": __version__,
        "algorithm": run.result.algorithm,
        "parameters": dict(run.scenario.parameters),
        "costs": {
            "total_generalized_usd": float(costs["generalized_usd"].sum()),
            "by_class": {c: _finite(float(v)) for c, v in zip(
                costs["demand_class"].tolist(), costs["usd_per_unit"].tolist(), strict=True)},
            "import_usd_per_t": import_costs(costs),
        },
        "transit_fees": transit_fee_revenue(run),
    })
    options = run.scenario.report.get("route_options")
    if options:
        from steppe.scenario.routes import route_options

        table = route_options(run, options)
        summary["route_options"] = [
            {k: _finite(v) for k, v in row.items()} for row in table.to_dict("records")
        ]
    return summary


def _metric_rows(summary: Mapping[str, Any]) -> pd.DataFrame:
    rows: list[tuple[str, str, float | None]] = [
        ("relative_gap", "", summary["relative_gap"]),
        ("total_generalized_usd", "", summary["costs"]["total_generalized_usd"]),
    ]
    for port, share in summary["route_shares"]["china_europe_containers"].items():
        rows.append(("china_europe_share", str(port), share))
    rows += [("transit_t", c, v) for c, v in summary["transit"].items()]
    rows += [("transit_bcm", c, v) for c, v in summary["transit_bcm"].items()]
    rows += [("import_usd_per_t", c, v)
             for c, v in summary["costs"]["import_usd_per_t"].items()]
    rows += [("class_usd_per_unit", c, v) for c, v in summary["costs"]["by_class"].items()]
    unserved: dict[str, float] = {}
    for row in summary["unserved"]:
        unserved[row["demand_class"]] = unserved.get(row["demand_class"], 0.0) + row["volume"]
    rows += [("unserved", c, v) for c, v in unserved.items()]
    rows += [("transit_fee_usd", f"{f['country']}:{f['commodity']}", f["revenue_usd"])
             for f in summary.get("transit_fees", [])]
    frame = pd.DataFrame(rows, columns=["metric", "key", "value"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def run_payload(
    run: ScenarioRun, *, draw_id: int = -1, sweep_id: str | None = None,
    summary: Mapping[str, Any] | None = None,
) -> Any:
    """Everything the result store keeps of a run (a :class:`~steppe.scenario.store.RunPayload`)."""
    import json
    from datetime import UTC, datetime

    from steppe.scenario.store import RunPayload, run_id_of

    assert run.scenario is not None
    summary = dict(summary or scenario_summary(run))
    links = run.build.network.links
    res = run.result.links
    table = links[["link_id", "element", "element_id", "name", "mode", "from_node_id",
                   "to_node_id"]].merge(res[["link_id", "flow", "time", "cost"]], on="link_id")
    table["queue_delay"] = res["queue_delay"].to_numpy() if "queue_delay" in res else 0.0
    crossings = pd.DataFrame(summary["crossings"]) if summary["crossings"] else pd.DataFrame()
    record = {
        "run_id": run_id_of(run.scenario_hash, draw_id),
        "scenario_hash": run.scenario_hash,
        "draw_id": draw_id,
        "sweep_id": sweep_id,
        "scenario_name": run.scenario.name,
        "status": "ok",
        "error": None,
        "steppe_version": __version__,
        "input_checksums": json.dumps(dict(run.input_checksums or {})),
        "parameters": json.dumps(dict(run.scenario.parameters)),
        "algorithm": run.result.algorithm,
        "gap": run.result.relative_gap,
        "iterations": run.result.iterations,
        "converged": run.result.converged,
        "seconds": run.wall_seconds,
        "created": datetime.now(UTC).replace(tzinfo=None),
        "scenario": json.dumps(run.scenario.content(), default=str),
        "summary": json.dumps(summary, default=str),
    }
    return RunPayload(record, {
        "link_results": table,
        "crossing_results": crossings,
        "metrics": _metric_rows(summary),
    })
