"""What every command shares: the error console and the user-error → exit-status-2 rule."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console

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
