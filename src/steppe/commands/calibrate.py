"""``steppe calibrate``: the base year against calibration-targets.md (a thin client)."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return escape(str(value))


def calibrate(
    tune: Annotated[
        bool,
        typer.Option(
            "--tune/--no-tune",
            help="Also rerun the grid search of the free parameters (container dispersion and "
            "Xinjiang lane share; 16 solves, 10–15 minutes).",
        ),
    ] = False,
    gap: Annotated[float, typer.Option(help="Target relative (SUE) gap.")] = 1e-6,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
) -> None:
    """Run the 2023 base year and compare it with every calibration target (D1–D5, C1–C6)."""
    from steppe.scenario import load_eurasia
    from steppe.scenario.calibrate import (
        calibration_table,
        parameter_table,
        solve,
        tune_parameters,
    )

    model = load_eurasia()
    solved = solve(model, target_gap=gap)
    table = calibration_table(solved)
    parameters = parameter_table(solved.build)
    search = None
    if tune:
        best, search = tune_parameters(model)
        parameters["search_best"] = math.nan
        parameters.loc[
            parameters["parameter"] == "dispersion_per_hour[container]", "search_best"
        ] = best["theta_per_hour"]
        parameters.loc[
            parameters["parameter"].str.startswith("container_lane_share["), "search_best"
        ] = best["container_lane_share"]
    summary = {
        "relative_gap": solved.result.relative_gap,
        "converged": solved.result.converged,
        "all_within_tolerance": bool(table["ok"].all()),
        "targets": [{k: _clean(v) for k, v in r.items()} for r in table.to_dict("records")],
        "parameters": [{k: _clean(v) for k, v in r.items()} for r in parameters.to_dict("records")],
        "search": None
        if search is None
        else [{k: _clean(v) for k, v in r.items()} for r in search.to_dict("records")],
    }
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        _print(summary)
    if not summary["all_within_tolerance"]:
        raise typer.Exit(code=1)


def _print(summary: dict[str, Any]) -> None:
    console = Console()
    console.print(
        f"base year 2023: relative SUE gap {summary['relative_gap']:.2e} "
        f"({'converged' if summary['converged'] else 'NOT converged'})"
    )
    table = Table(title="Calibration targets (calibration-targets.md)")
    for column in ("target", "figure", "unit", "observed", "modelled", "error", "tolerance", "ok"):
        table.add_column(column)
    for row in summary["targets"]:
        mark = "[green]yes[/]" if row["ok"] else "[red]NO[/]"
        table.add_row(
            *(_fmt(row[c]) if row[c] is not None else "—" for c in
              ("target", "figure", "unit", "observed", "modelled", "error", "tolerance")),
            mark,
        )  # fmt: skip
    console.print(table)
    params = Table(title="Free parameters (final values, in commodity.csv and crossing.csv)")
    columns = ["parameter", "value", "unit", "tuned", "basis"]
    if summary["parameters"] and "search_best" in summary["parameters"][0]:
        columns.append("search_best")
    for column in columns:
        params.add_column(column)
    for row in summary["parameters"]:
        params.add_row(*(_fmt(row[c]) for c in columns))
    console.print(params)
    if summary["search"]:
        search = Table(title="Grid search of the free parameters (score = C1 squared error)")
        keys = list(summary["search"][0])
        for column in keys:
            search.add_column(column)
        for row in summary["search"]:
            search.add_row(*(_fmt(row[k]) for k in keys))
        console.print(search)
