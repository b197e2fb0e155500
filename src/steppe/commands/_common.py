"""What every command shares: the error console and the user-error → exit-status-2 rule."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from steppe.errors import SteppeError

err = Console(stderr=True)
"""Console for messages and progress (stderr, so ``--json`` output stays clean)."""


def fail(message: str) -> NoReturn:
    """Print a one-paragraph error and exit with status 2."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn input errors into a one-paragraph message and exit status 2."""
    try:
        yield
    except SteppeError as exc:
        fail(str(exc))
    except (FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        fail(f"cannot read input: {exc}")


@contextmanager
def gap_progress(enabled: bool, target_gap: float) -> Iterator[Callable[[int, float], None] | None]:
    """Show a rich progress bar on stderr filled by log10(gap) from 1 down to the target.

    Yields the solver's progress callback ``(iteration, relative_gap)``, or None when disabled.
    """
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("[bold]assign"),
        BarColumn(),
        TextColumn("iteration {task.fields[iteration]:>5}  gap {task.fields[gap]:.2e}"),
        TimeElapsedColumn(),
    )
    span = max(-math.log10(max(target_gap, 1e-300)), 1e-9)
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("assign", total=span, iteration=0, gap=float("nan"))

        def update(iteration: int, gap: float) -> None:
            done = min(span, max(0.0, -math.log10(gap))) if gap > 0 else span
            bar.update(task, completed=done, iteration=iteration, gap=gap)

        yield update
