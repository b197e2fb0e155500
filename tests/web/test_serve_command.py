"""``steppe serve``: registered in the CLI, with a clear message when the web extra is missing."""

from __future__ import annotations

import sys

from typer.testing import CliRunner

from steppe.cli import app


def test_serve_is_a_command():
    out = CliRunner().invoke(app, ["serve", "--help"])
    assert out.exit_code == 0
    for option in ("--allow-runs", "--token", "--store", "--max-runs", "--queue", "--cors"):
        assert option in out.output


def test_serve_without_the_web_extra_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if it were not installed
    out = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert out.exit_code == 2
    assert "pip install 'steppe[web]'" in out.output


def test_serve_refuses_a_scenarios_path_that_is_not_a_folder(tmp_path):
    out = CliRunner().invoke(app, ["serve", "--scenarios", str(tmp_path / "missing")])
    assert out.exit_code == 2 and "not a folder" in out.output


def test_a_broken_preset_of_the_operator_stops_the_start(tmp_path):
    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "broken.toml").write_text("[scenario\nname = 'x'\n")
    out = CliRunner().invoke(app, ["serve", "--scenarios", str(folder),
                                   "--store", str(tmp_path / "s.duckdb")])
    assert out.exit_code == 2 and "preset broken: invalid TOML" in out.output
