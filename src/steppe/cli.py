"""The ``steppe`` command line: a thin client of the public API."""

from __future__ import annotations

import json
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from steppe import __version__
from steppe.commands._common import err, gap_progress, user_errors
from steppe.errors import ConvergenceWarning

app = typer.Typer(
    name="steppe",
    help="Freight and energy corridor modelling: equilibrium assignment and scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Algorithm(StrEnum):
    """Assignment algorithms offered on the command line."""

    msa = "msa"
    fw = "fw"
    cfw = "cfw"
    bfw = "bfw"
    b = "b"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"steppe {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Freight and energy corridor modelling."""


@app.command()
def assign(
    path: Annotated[
        Path, typer.Argument(help="TNTP folder (*_net.tntp, *_trips.tntp) or GMNS folder.")
    ],
    algorithm: Annotated[Algorithm, typer.Option(help="Assignment algorithm.")] = Algorithm.bfw,
    gap: Annotated[float, typer.Option(help="Target relative gap (TSTT/SPTT − 1).")] = 1e-4,
    max_iter: Annotated[int, typer.Option(help="Maximum iterations.")] = 1000,
    toll_factor: Annotated[
        float | None,
        typer.Option(
            help="Time units per money unit of toll [default: TNTP README value, else 0]."
        ),
    ] = None,
    distance_factor: Annotated[
        float | None,
        typer.Option(help="Time units per length unit [default: TNTP README value, else 0]."),
    ] = None,
    threads: Annotated[int | None, typer.Option(help="Threads for path building.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write link flows and costs (.csv or .parquet).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
) -> None:
    """Run an equilibrium assignment on a network folder."""
    from steppe.assign import AssignmentConfig
    from steppe.assign import assign as run_assignment
    from steppe.io.folders import read_case
    from steppe.io.tables import write_table

    with user_errors():
        network, demand, extra = read_case(path)
        weights = extra.get("readme_weights")
        config = AssignmentConfig(
            algorithm=algorithm.value,
            target_gap=gap,
            max_iter=max_iter,
            toll_factor=_pick(toll_factor, getattr(weights, "toll", None)),
            distance_factor=_pick(distance_factor, getattr(weights, "distance", None)),
            threads=threads,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            with gap_progress(err.is_terminal and not as_json, gap) as progress:
                result = run_assignment(network, demand, config, progress=progress)
        if out is not None:
            write_table(
                result.links[["from_node_id", "to_node_id", "flow", "cost"]].rename(
                    columns={"from_node_id": "from_node", "to_node_id": "to_node"}
                ),
                out,
            )
    for warning in caught:
        err.print(f"[yellow]warning:[/] {warning.message}", highlight=False)
    summary = _summary(result, network, demand, config)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        _print_summary(summary)


def _pick(option: float | None, readme: float | None) -> float:
    if option is not None:
        return option
    return float(readme) if readme is not None else 0.0


def _summary(result: Any, network: Any, demand: Any, config: Any) -> dict[str, Any]:
    head = result.summary()
    return {
        "algorithm": head["algorithm"],
        "iterations": head["iterations"],
        "relative_gap": head["relative_gap"],
        "average_excess_cost": head["average_excess_cost"],
        "objective": head["objective"],
        "seconds": head["seconds"],
        "nodes": network.n_nodes,
        "links": network.n_links,
        "zones": len(network.zones),
        "total_demand": demand.total(),
        "unassigned_demand": head["unassigned_demand"],
        "unassigned_od_pairs": head["unassigned_od_pairs"],
        "converged": head["converged"],
        "toll_factor": config.toll_factor,
        "distance_factor": config.distance_factor,
        "network": network.name,
    }


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"steppe assign — {summary['network']}", show_header=False)
    for key, value in summary.items():
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
        table.add_row(key, text)
    Console().print(table)


def _register_commands() -> None:
    """Attach the scenario, calibration and report commands (each in steppe.commands)."""
    from steppe.commands import calibrate, report, scenario, serve

    for name in ("run", "runs", "compare", "diff", "sweep", "critical", "export"):
        app.command(name=name)(getattr(scenario, name))
    app.command(name="calibrate")(calibrate.calibrate)
    app.command(name="report")(report.report)
    app.command(name="serve")(serve.serve)


_register_commands()


def main() -> None:
    """Entry point of the ``steppe`` console script."""
    app(prog_name="steppe")


if __name__ == "__main__":  # pragma: no cover
    main()
