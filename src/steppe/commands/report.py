"""``steppe report``: solve scenarios and write one self-contained HTML report."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from steppe.commands._common import err, user_errors

DEFAULT_STORE = Path("steppe.duckdb")
ALL = "all"
"""Scenario argument meaning the baseline and every preset."""


def _preset_names() -> list[str]:
    from steppe.scenario.spec import preset_names

    names = preset_names()
    return ["baseline", *[n for n in names if n != "baseline"]]


def resolve_scenario(ref: str, store: Path) -> Any:
    """The scenario behind a report argument: a preset, a TOML file, or a stored run.

    A stored run (its id, an id prefix, or a scenario name in ``store``) is rebuilt from its
    stored content; it must hash to the stored run's hash, so the report shows that run and not
    one on changed inputs.
    """
    from steppe.errors import InputError
    from steppe.scenario.execute import scenario_hash
    from steppe.scenario.spec import ScenarioError, load_scenario, scenario_from_content
    from steppe.scenario.store import RunStore

    try:
        return load_scenario(ref)
    except ScenarioError:
        if not store.is_file():
            raise
    with RunStore(store, read_only=True) as db:
        record = db.record(ref)
    scenario = scenario_from_content(record["scenario"], name=str(record["scenario_name"]))
    if scenario_hash(scenario) != record["scenario_hash"]:
        raise InputError(
            f"stored run {record['run_id']} ({record['scenario_name']}) was computed on other "
            "inputs or another steppe version; run its scenario again to report it"
        )
    return scenario


def solve_entry(name: str, *, gap: float | None = None, store: Path = DEFAULT_STORE) -> Any:
    """Solve a preset, scenario file or stored run (see :func:`resolve_scenario`) for the report."""
    from steppe.scenario.execute import run_scenario, transit_fees_outside_route_choice
    from steppe.viz.report import ReportEntry

    scenario = resolve_scenario(name, store)
    options: dict[str, Any] = {"target_gap": gap} if gap is not None else {}
    run = run_scenario(scenario, **options)
    fees = transit_fees_outside_route_choice(scenario, run.build)
    return ReportEntry(
        name=scenario.name or name,
        run=run,
        description=scenario.description,
        source_ids=tuple(scenario.sources),
        transit_fees=tuple(fees),
        notes=(f"Scenario: {scenario.source}",),
    )


def _solve_all(names: list[str], gap: float | None, store: Path) -> list[Any]:
    """Solve each scenario in turn, with a progress bar on a terminal."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, disable=not err.is_terminal,
    ) as progress:  # fmt: skip
        task = progress.add_task("solving scenarios", total=len(names))
        entries = []
        for name in names:
            progress.update(task, description=f"solving {name}")
            entries.append(solve_entry(name, gap=gap, store=store))
            progress.advance(task)
    return entries


def _top_shares(shares: dict[str, float], n: int = 3) -> str:
    """The ``n`` largest shares, one per line (largest first)."""
    top = sorted(shares.items(), key=lambda kv: -kv[1])[:n]
    return "\n".join(f"{port} {share:.0%}" for port, share in top)


def _print_headlines(rows: list[dict[str, Any]], path: Path) -> None:
    console = Console()
    table = Table(title="Headline results", caption="China–Europe: top three exit ports")
    for column in (
        "scenario",
        "MN transit\nUSD m/yr",
        "UB hub\nrank",
        "MN\nbalance",
        "China–Europe\nrail shares",
        "unserved\nMt/yr",
    ):
        table.add_column(column, no_wrap=True)
    for r in rows:
        balance = r["mn_balance_index"]
        table.add_row(
            r["scenario"],
            f"{r['mn_transit_revenue_usd'] / 1e6:,.1f}",
            "–" if r["ub_hub_rank"] is None else f"{r['ub_hub_rank']}/{r['hubs']}",
            "–" if not math.isfinite(balance) else f"{balance:.3f}",
            _top_shares(r["china_europe_shares"]),
            f"{r['unserved_t'] / 1e6:,.2f}",
        )
    console.print(table)
    console.print(f"report: {path.resolve()}")


def report(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="Presets, scenario TOML files or stored runs (id, id prefix or scenario name "
            "in --store); 'all' = baseline + every preset."
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="HTML file to write.")] = Path(
        "report.html"
    ),
    gap: Annotated[
        float | None, typer.Option(help="Target relative gap [default: each scenario's].")
    ] = None,
    store: Annotated[
        Path, typer.Option(help="Result store that run ids are looked up in (DuckDB file).")
    ] = DEFAULT_STORE,
    exposure: Annotated[
        bool,
        typer.Option(help="Add Mongolia's closure exposure (two extra solves per scenario)."),
    ] = False,
    png: Annotated[
        Path | None,
        typer.Option(help="Also write every chart as PNG into this folder (needs kaleido)."),
    ] = None,
) -> None:
    """Solve scenarios and write one self-contained HTML report comparing them."""
    import pandas as pd

    from steppe.viz.report import headline, write_report

    names = [n for s in scenarios for n in (_preset_names() if s == ALL else [s])]
    with user_errors():
        entries = _solve_all(list(dict.fromkeys(names)), gap, store)
    table = None
    if exposure:
        from steppe.scenario.exposure import exposure_table

        cache: dict[Any, Any] = {}
        parts = [
            exposure_table(e.run, countries=["MN"], cache=cache).assign(scenario=e.name)
            for e in entries
        ]
        table = pd.concat(parts, ignore_index=True)
    figures: dict[str, Any] = {}
    path = write_report(entries, out, exposure=table, figures=figures)
    if png is not None:
        from steppe.viz.export import png_export_available, save_png

        if png_export_available():
            for slug, fig in figures.items():
                save_png(fig, png / f"{slug}.png")
        else:
            typer.echo("PNG export skipped: kaleido or chromium not installed", err=True)
    _print_headlines([headline(e) for e in entries], path)
