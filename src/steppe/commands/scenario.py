"""Scenario commands: ``run``, ``runs``, ``compare``, ``diff``, ``sweep``, ``critical``, ``export``.

Thin clients of :mod:`steppe.scenario`; :mod:`steppe.cli` registers them.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from steppe.commands._common import err, fail, gap_progress, user_errors
from steppe.errors import ConvergenceWarning

StoreOption = Annotated[
    Path, typer.Option("--store", help="Result store (DuckDB file).", show_default=True)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
DeterministicOption = Annotated[
    bool,
    typer.Option(
        "--deterministic",
        help="Deterministic user equilibrium for every commodity (ignore logit dispersions).",
    ),
]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(_clean(data), default=str))


def _load(scenario: str, deterministic: bool, gap: float | None) -> Any:
    from steppe.scenario.spec import load_scenario

    loaded = load_scenario(scenario)
    if deterministic:
        loaded = replace(loaded, route_choice="deterministic")
    if gap is not None:
        loaded = replace(loaded, gap=gap)
    return loaded


def run(
    scenario: Annotated[str, typer.Argument(help="Preset name (e.g. pos2) or TOML file.")],
    store: StoreOption = Path("steppe.duckdb"),
    force: Annotated[bool, typer.Option("--force", help="Recompute even if stored.")] = False,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not use the store.")] = False,
    gap: Annotated[float | None, typer.Option(help="Target relative gap.")] = None,
    deterministic: DeterministicOption = False,
    as_json: JsonOption = False,
) -> None:
    """Run a scenario (preset or TOML file) and store it; a stored run is not recomputed."""
    from steppe.scenario.execute import run_payload, run_scenario, scenario_hash, scenario_summary
    from steppe.scenario.store import SINGLE_RUN, RunStore

    with user_errors():
        spec = _load(scenario, deterministic, gap)
        key = scenario_hash(spec)
        db = None if no_store else RunStore(store)
        try:
            cached = db.has(key, SINGLE_RUN) if db is not None and not force else None
            if cached is not None:
                assert db is not None
                summary = db.record(cached)["summary"] | {"run_id": cached, "cached": True}
            else:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", ConvergenceWarning)
                    with gap_progress(err.is_terminal and not as_json, spec.gap) as progress:
                        solved = run_scenario(spec, progress=progress)
                for warning in caught:
                    err.print(f"[yellow]warning:[/] {warning.message}", highlight=False)
                summary = scenario_summary(solved)
                payload = run_payload(solved, summary=summary)
                if db is not None:
                    db.save(payload, replace=force)
                summary = summary | {"run_id": payload.run_id, "cached": False}
        finally:
            if db is not None:
                db.close()
    if as_json:
        _echo_json(summary)
    else:
        _print_run(summary)


def _print_run(summary: dict[str, Any]) -> None:
    console = Console()
    cached = " (stored result)" if summary.get("cached") else ""
    console.print(
        f"[bold]{summary['scenario']}[/] run {summary.get('run_id', '')}{cached}: relative gap "
        f"{summary['relative_gap']:.2e} after {summary['iterations']} iterations"
    )
    table = Table(title="Border crossings (per year)")
    for column in ("crossing", "from", "to", "mode", "Mt", "kTEU", "bcm"):
        table.add_column(column)
    for row in summary["crossings"]:
        table.add_row(
            row["name"],
            row["from_country"],
            row["to_country"],
            row["mode"],
            f"{row['tonnes'] / 1e6:.2f}",
            f"{row['teu'] / 1e3:.1f}",
            f"{row['bcm']:.2f}",
        )
    console.print(table)
    shares = summary["route_shares"]["china_europe_containers"]
    console.print(
        "China–Europe containers by Chinese border port: "
        + ", ".join(f"{p} {s:.0%}" for p, s in shares.items())
    )
    console.print(
        "Transit (Mt/yr): " + ", ".join(f"{c} {t / 1e6:.1f}" for c, t in summary["transit"].items())
    )
    imports = summary.get("costs", {}).get("import_usd_per_t", {})
    if imports:
        console.print(
            "Import cost (USD/t): " + ", ".join(f"{c} {v:.1f}" for c, v in imports.items())
        )
    for fee in summary.get("transit_fees", []):
        console.print(
            f"Transit fee {fee['country']} {fee['commodity']}: "
            f"{fee['revenue_usd'] / 1e6:.1f} M USD/yr"
        )
    for row in summary.get("route_options", []):
        cost = row["usd_per_unit"]
        console.print(
            f"{row['option']}: {row['commodity']} {row['origin']}>{row['destination']} "
            + (f"{cost:.1f} USD/unit via {row['crossings']}" if cost else "no route")
        )
    console.print(f"Unserved OD pairs: {len(summary['unserved'])}")


def runs(
    store: StoreOption = Path("steppe.duckdb"),
    sweep_id: Annotated[str | None, typer.Option("--sweep", help="Only this sweep.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the stored runs, newest first."""
    from steppe.scenario.store import RunStore

    with user_errors(), RunStore(store, read_only=True) as db:
        table = db.runs(sweep_id=sweep_id)
    if as_json:
        _echo_json(json.loads(table.to_json(orient="records", date_format="iso")))
        return
    out = Table(title=f"runs in {store}")
    for column in ("run", "scenario", "draw", "status", "gap", "iter", "s", "created"):
        out.add_column(column)
    for row in table.itertuples():
        out.add_row(
            row.run_id,
            str(row.scenario_name),
            str(row.draw_id),
            row.status,
            "" if row.gap is None or row.gap != row.gap else f"{row.gap:.1e}",
            "" if row.iterations != row.iterations else str(row.iterations),
            "" if row.seconds != row.seconds else f"{row.seconds:.1f}",
            str(row.created)[:19],
        )
    Console().print(out)


def compare(
    a: Annotated[str, typer.Argument(help="Run id (or prefix) or scenario name (newest run).")],
    b: Annotated[str, typer.Argument(help="Run id (or prefix) or scenario name.")],
    store: StoreOption = Path("steppe.duckdb"),
    as_json: JsonOption = False,
) -> None:
    """Differences between two stored runs: crossings, route shares, transit, costs."""
    from steppe.scenario.compare import compare_summaries
    from steppe.scenario.store import RunStore

    with user_errors(), RunStore(store, read_only=True) as db:
        diff = compare_summaries(db.record(a)["summary"], db.record(b)["summary"])
    if as_json:
        _echo_json(diff)
        return
    _print_compare(diff)


def _print_compare(diff: dict[str, Any]) -> None:
    console = Console()
    console.print(f"[bold]{diff['a']}[/] → [bold]{diff['b']}[/]")
    table = Table(title="Crossing volumes (per year)")
    for column in ("crossing", "Mt A", "Mt B", "ΔMt", "Δbcm"):
        table.add_column(column)
    for row in diff["crossings"][:25]:
        table.add_row(
            row["crossing"],
            f"{row['tonnes_a'] / 1e6:.2f}",
            f"{row['tonnes_b'] / 1e6:.2f}",
            f"{row['tonnes_delta'] / 1e6:+.2f}",
            f"{row['bcm_delta']:+.2f}",
        )
    console.print(table)
    sections = [
        ("route_shares", "China–Europe share", 1.0, ".1%"),
        ("transit", "Transit Mt/yr", 1e6, ".2f"),
        ("transit_bcm", "Transit bcm/yr", 1, ".2f"),
        ("unserved", "Unserved", 1.0, ".4g"),
    ]
    for key, title, scale, fmt in sections:
        if diff[key]:
            changes = [
                f"{k} {v['a'] / scale:{fmt}} → {v['b'] / scale:{fmt}}" for k, v in diff[key].items()
            ]
            console.print(f"{title}: " + ", ".join(changes))
    imports = diff["costs"]["import_usd_per_t"]
    if imports:
        console.print(
            "Import cost USD/t: "
            + ", ".join(f"{k} {v['a']:.1f} → {v['b']:.1f}" for k, v in imports.items())
        )
    total = diff["costs"]["total_generalized_usd"]
    if total:
        console.print(f"Total generalized cost: {total['delta'] / 1e6:+,.1f} M USD/yr")


def diff(
    scenario: Annotated[str, typer.Argument(help="Preset name or TOML file.")],
    as_json: JsonOption = False,
) -> None:
    """What a scenario changes in its base (cells, rows, switched-on elements, parameters)."""
    from steppe.scenario.execute import diff_scenario

    with user_errors():
        table = diff_scenario(_load(scenario, False, None))
    if as_json:
        _echo_json(json.loads(table.to_json(orient="records")))
        return
    out = Table(title=f"{scenario} vs its base")
    for column in table.columns:
        out.add_column(column)
    for row in table.itertuples(index=False):
        out.add_row(*["" if v is None else str(v) for v in row])
    Console().print(out)


def sweep(
    spec: Annotated[Path, typer.Argument(help="Sweep TOML file.")],
    store: StoreOption = Path("steppe.duckdb"),
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    dask: Annotated[
        str | None,
        typer.Option("--dask", help="Dask scheduler ADDRESS, or 'local' for a local cluster."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run a grid or Monte Carlo sweep; results stream into the store, and it resumes."""
    from steppe.scenario.store import RunStore
    from steppe.scenario.sweep import load_sweep, run_sweep

    with user_errors():
        plan = load_sweep(spec)
        with RunStore(store) as db, _sweep_bar(not as_json) as progress:
            outcome = run_sweep(plan, db, workers=workers, dask=dask, progress=progress)
    summary = {
        "sweep_id": outcome.sweep_id,
        "name": plan.name,
        "draws": outcome.total,
        "stored": outcome.stored,
        "already_stored": outcome.skipped,
        "failed": outcome.failed,
    }
    if as_json:
        _echo_json(summary)
    else:
        Console().print(
            f"sweep {plan.name} ({outcome.sweep_id}): {outcome.stored} draws stored now, "
            f"{outcome.skipped} already stored, {outcome.failed} failed, of {outcome.total}"
        )


@contextmanager
def _sweep_bar(enabled: bool) -> Iterator[Callable[[Any, int], None] | None]:
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("[bold]sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("sweep", total=None, failed=0)

        def update(outcome: Any, left: int) -> None:
            bar.update(
                task,
                total=outcome.total,
                completed=outcome.stored + outcome.skipped,
                failed=outcome.failed,
            )

        yield update


def critical(
    scenario: Annotated[str, typer.Argument(help="Preset name or TOML file.")],
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    gap: Annotated[float | None, typer.Option(help="Target relative gap of each closure.")] = None,
    select_link: Annotated[
        str | None,
        typer.Option("--select-link", help="Instead: who uses ELEMENT:ID, e.g. crossing:4."),
    ] = None,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 25,
    deterministic: DeterministicOption = False,
    as_json: JsonOption = False,
) -> None:
    """Close each loaded crossing and link in turn and rank them (or run select-link)."""
    from steppe.scenario.critical import criticality
    from steppe.scenario.critical import select_link as select_link_table
    from steppe.scenario.execute import run_scenario

    with user_errors():
        spec = _load(scenario, deterministic, gap)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            solved = run_scenario(spec)
        if select_link is not None:
            element, _, ident = select_link.partition(":")
            if element not in ("crossing", "link") or not ident.isdigit():
                fail(f"--select-link {select_link!r}: expected crossing:ID or link:ID")
            table = select_link_table(solved, element, int(ident))
        else:
            with _count_bar(not as_json, "critical") as progress:
                table = criticality(solved, workers=workers, progress=progress)
    if as_json:
        _echo_json(json.loads(table.to_json(orient="records")))
        return
    out = Table(title=f"{scenario}: " + (select_link or "criticality"))
    for column in table.columns:
        out.add_column(column)
    for row in table.head(top).itertuples(index=False):
        out.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row])
    Console().print(out)


@contextmanager
def _count_bar(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, total=total, completed=done)

        yield update


def export(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run id (or prefix) or name.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the Parquet files.")] = Path(
        "steppe-export"
    ),
    store: StoreOption = Path("steppe.duckdb"),
) -> None:
    """Export a stored run: link, crossing and metric results as Parquet, the record as JSON."""
    from steppe.scenario.store import RunStore

    with user_errors(), RunStore(store, read_only=True) as db:
        paths = db.export(run_ref, out)
    for path in paths:
        typer.echo(str(path))
