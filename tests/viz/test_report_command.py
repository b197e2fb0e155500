"""The ``report`` command function writes the HTML and prints the headline table."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))

from three_country import solve, three_country_model

import steppe.commands.report as command
from steppe.viz.report import ReportEntry


def test_report_command_writes_html(tmp_path, monkeypatch):
    run = solve(three_country_model())
    monkeypatch.setattr(command, "solve_entry", lambda name, gap=None: ReportEntry(name, run))
    app = typer.Typer()
    app.command()(command.report)
    app.command("noop")(lambda: None)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", "a", "b", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "Headline results" in out.read_text(encoding="utf-8")
    assert "report:" in result.output
