"""Fixtures of the scenario tests: a Typer app with the scenario commands, the tiny model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer

sys.path.insert(0, str(Path(__file__).parent))

from tiny import tiny_scenario

from steppe.commands import scenario as commands


@pytest.fixture(scope="session")
def scenario_app() -> typer.Typer:
    """The scenario commands as the CLI registers them."""
    app = typer.Typer()
    for name in ("run", "runs", "compare", "diff", "sweep", "critical", "export"):
        app.command(name)(getattr(commands, name))
    return app


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A scenario file on the tiny two-route model."""
    return tiny_scenario(tmp_path)
