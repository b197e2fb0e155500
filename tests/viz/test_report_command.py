"""The ``report`` command function writes the HTML and prints the headline table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scenario"))

from three_country import solve, three_country_model
from tiny import tiny_scenario

import steppe.commands.report as command
from steppe.cli import app as steppe_app
from steppe.viz.report import ReportEntry


def test_report_command_writes_html(tmp_path, monkeypatch):
    run = solve(three_country_model())
    monkeypatch.setattr(
        command, "solve_entry", lambda name, gap=None, store=None: ReportEntry(name, run)
    )
    app = typer.Typer()
    app.command()(command.report)
    app.command("noop")(lambda: None)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", "a", "b", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "Headline results" in out.read_text(encoding="utf-8")
    assert "report:" in result.output


def test_report_of_a_stored_run_by_id(tmp_path):
    store = tmp_path / "runs.duckdb"
    scenario = tiny_scenario(tmp_path)
    runner = CliRunner()
    ran = runner.invoke(steppe_app, ["run", str(scenario), "--store", str(store), "--json"])
    assert ran.exit_code == 0, ran.output
    run_id = json.loads(ran.stdout)["run_id"]
    out = tmp_path / "stored.html"
    result = runner.invoke(
        steppe_app, ["report", run_id[:8], "--store", str(store), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.is_file() and "Headline results" in out.read_text(encoding="utf-8")


def test_report_of_an_unknown_run_exits_2(tmp_path):
    store = tmp_path / "runs.duckdb"
    runner = CliRunner()
    ran = runner.invoke(
        steppe_app, ["run", str(tiny_scenario(tmp_path)), "--store", str(store), "--json"]
    )
    assert ran.exit_code == 0, ran.output
    result = runner.invoke(steppe_app, ["report", "no-such-run", "--store", str(store)])
    assert result.exit_code == 2
    assert "no stored run 'no-such-run'" in result.output
