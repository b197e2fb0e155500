"""Sweeps: reproducible draws, failures recorded, results streamed, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tiny import tiny_scenario
from typer.testing import CliRunner

from steppe.scenario.store import RunStore
from steppe.scenario.sweep import load_sweep, sweep_table

EDIT = '[[edit]]\nop = "set_border"\nids = [2]\ndwell_hours = "$dwell"\n'


def _spec(tmp_path: Path, *, draws: int, extra: str = "", method: str = "monte_carlo") -> Path:
    scenario = tiny_scenario(tmp_path, parameters="dwell = 12.0", edits=EDIT)
    inputs = (
        '[[input]]\nname = "dwell"\ndistribution = "uniform"\nlow = 5\nhigh = 20\n'
        if method == "monte_carlo" else '[[input]]\nname = "dwell"\nvalues = [5, 10, 20]\n'
    )
    path = tmp_path / "sweep.toml"
    path.write_text(
        f'[sweep]\nname = "t"\nscenario = "{scenario.name}"\nmethod = "{method}"\n'
        f"draws = {draws}\nseed = 3\n{extra}\n{inputs}",
        encoding="utf-8",
    )
    return path


def test_draws_are_reproducible_and_grids_are_products(tmp_path):
    mc = load_sweep(_spec(tmp_path, draws=5))
    assert mc.values() == load_sweep(_spec(tmp_path, draws=5)).values()
    longer = load_sweep(_spec(tmp_path, draws=9)).values()
    assert [v["dwell"] for v in mc.values()][:3] == [v["dwell"] for v in longer][:3]
    grid = load_sweep(_spec(tmp_path, draws=1, method="grid"))
    assert [v["dwell"] for v in grid.values()] == [5.0, 10.0, 20.0]


def test_sweep_stores_every_draw_once_and_records_failures(tmp_path, scenario_app):
    spec = _spec(tmp_path, draws=1, method="grid")
    spec.write_text(spec.read_text().replace("values = [5, 10, 20]", "values = [5, -1, 20]"))
    store = tmp_path / "s.duckdb"
    out = CliRunner().invoke(scenario_app, ["sweep", str(spec), "--store", str(store),
                                            "--workers", "2", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == {**json.loads(out.stdout), "stored": 3, "failed": 1}
    again = CliRunner().invoke(scenario_app, ["sweep", str(spec), "--store", str(store), "--json"])
    assert json.loads(again.stdout)["already_stored"] == 3
    assert json.loads(again.stdout)["stored"] == 0
    with RunStore(store, read_only=True) as db:
        runs = db.runs()
        failed = runs[runs["status"] == "failed"]
        assert len(runs) == 3 and len(failed) == 1
        assert "dwell_hours" in failed["error"].iloc[0] and ">= 0" in failed["error"].iloc[0]
        table = sweep_table(db, load_sweep(spec).sweep_id)
    assert sorted(table["dwell"]) == [5.0, 20.0]


def _start(spec: Path, store: Path, dask: str | None) -> subprocess.Popen[str]:
    code = (
        "import sys\n"
        "from steppe.scenario.store import RunStore\n"
        "from steppe.scenario.sweep import load_sweep, run_sweep\n"
        "def show(o, left):\n"
        "    print('stored', o.stored, 'skipped', o.skipped, flush=True)\n"
        "with RunStore(sys.argv[2]) as db:\n"
        "    o = run_sweep(load_sweep(sys.argv[1]), db, workers=2, "
        f"dask={dask!r}, progress=show)\n"
        "print('done', o.stored, o.skipped, flush=True)\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(spec), str(store)],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
    )


def _kill_after(process: subprocess.Popen[str], stored: int) -> int:
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("stored") and int(line.split()[1]) >= stored:
            os.killpg(process.pid, signal.SIGKILL)  # the sweep and its workers, at once
            process.wait()
            return int(line.split()[1])
    pytest.fail("the sweep ended before it could be killed")


@pytest.mark.parametrize("dask", [None, "local"], ids=["local", "dask"])
def test_killed_sweep_resumes_without_loss_or_duplicates(tmp_path, dask):
    if dask:
        pytest.importorskip("distributed", reason="the dist extra (dask[distributed])")
    draws = 40
    spec = _spec(tmp_path, draws=draws, extra="warm_start = false")
    store = tmp_path / "s.duckdb"
    first = _kill_after(_start(spec, store, dask), stored=3)
    time.sleep(0.5)
    with RunStore(store) as db:
        kept = len(db.runs())
    assert kept >= first
    again = _start(spec, store, dask)
    out, _ = again.communicate(timeout=300)
    assert again.returncode == 0, out
    with RunStore(store, read_only=True) as db:
        runs = db.runs()
        links = db.con.execute(
            "SELECT count(DISTINCT run_id), count(*) FROM link_results").fetchone()
    assert sorted(runs["draw_id"]) == list(range(draws))
    assert (runs["status"] == "ok").all()
    assert links[0] == draws and links[1] % draws == 0  # every run's rows, written once
    last = out.strip().splitlines()[-1].split()
    assert int(last[2]) == kept and int(last[1]) == draws - kept
