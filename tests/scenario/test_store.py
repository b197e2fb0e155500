"""The DuckDB result store: one record per (scenario hash, draw), atomic runs, export."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from steppe.scenario.execute import run_payload, run_scenario
from steppe.scenario.spec import load_scenario
from steppe.scenario.store import RunStore, failed_payload


def test_two_identical_runs_produce_one_stored_record(scenario_app, tiny, tmp_path):
    store = tmp_path / "runs.duckdb"
    runner = CliRunner()
    first = runner.invoke(scenario_app, ["run", str(tiny), "--store", str(store), "--json"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(scenario_app, ["run", str(tiny), "--store", str(store), "--json"])
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert not a["cached"] and b["cached"] and a["run_id"] == b["run_id"]
    forced = runner.invoke(scenario_app, ["run", str(tiny), "--store", str(store), "--force"])
    assert forced.exit_code == 0, forced.output
    listed = runner.invoke(scenario_app, ["runs", "--store", str(store), "--json"])
    rows = json.loads(listed.stdout)
    assert len(rows) == 1 and rows[0]["status"] == "ok"
    with RunStore(store, read_only=True) as db:
        assert len(db.table(a["run_id"], "link_results")) > 0
        assert db.con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_run_record_has_provenance_and_exports_to_parquet(scenario_app, tiny, tmp_path):
    store = tmp_path / "runs.duckdb"
    runner = CliRunner()
    runner.invoke(scenario_app, ["run", str(tiny), "--store", str(store)])
    with RunStore(store, read_only=True) as db:
        record = db.record("tiny")
    for key in ("steppe_version", "scenario_hash", "input_checksums", "algorithm", "gap",
                "seconds", "created"):
        assert record[key] is not None
    assert set(record["input_checksums"]) >= {"node.csv", "link.csv", "demand.csv"}
    out = runner.invoke(scenario_app, ["export", "tiny", "--store", str(store),
                                       "--out", str(tmp_path / "x")])
    assert out.exit_code == 0, out.output
    links = pd.read_parquet(tmp_path / "x" / "link_results.parquet")
    assert links["flow"].sum() > 0
    assert (tmp_path / "x" / "crossing_results.parquet").exists()


def test_a_failed_save_leaves_nothing_behind(tiny, tmp_path):
    run = run_scenario(load_scenario(tiny))
    payload = run_payload(run)
    payload.tables["metrics"] = payload.tables["metrics"].assign(value="not a number")
    with RunStore(tmp_path / "s.duckdb") as db:
        with pytest.raises(Exception):  # noqa: B017 - any database error
            db.save(payload)
        assert db.runs().empty
        assert db.con.execute("SELECT count(*) FROM link_results").fetchone()[0] == 0
        assert db.save(failed_payload("h", 3, error="boom"))
        assert not db.save(failed_payload("h", 3, error="boom again"))
        assert db.runs()["error"].tolist() == ["boom"]


def test_a_batch_is_stored_whole_or_not_at_all(tiny, tmp_path):
    payload = run_payload(run_scenario(load_scenario(tiny)))
    n_links = len(payload.tables["link_results"])

    def draw(i: int) -> object:
        record = {**payload.record, "draw_id": i, "run_id": f"draw-{i}"}
        return type(payload)(record, {k: v.copy() for k, v in payload.tables.items()})

    with RunStore(tmp_path / "s.duckdb") as db:
        bad = draw(3)
        bad.tables["metrics"] = bad.tables["metrics"].assign(value="not a number")
        with pytest.raises(Exception):  # noqa: B017 - any database error
            db.save_many([draw(1), draw(2), bad])
        assert db.runs().empty  # the good runs of the failed batch are not kept either
        stored = db.save_many([draw(1), failed_payload("h", 9, error="boom"), draw(1), draw(2)])
        assert stored == [True, True, False, True]  # a repeat within the batch: once
        assert db.save_many([draw(2), draw(4)]) == [False, True]
        counts = db.con.execute(
            "SELECT run_id, count(*) FROM link_results GROUP BY run_id ORDER BY run_id"
        ).fetchall()
        assert counts == [("draw-1", n_links), ("draw-2", n_links), ("draw-4", n_links)]
        assert sorted(db.runs()["status"]) == ["failed", "ok", "ok", "ok"]


def test_unknown_run_reference_is_a_clear_error(scenario_app, tiny, tmp_path):
    store = tmp_path / "runs.duckdb"
    CliRunner().invoke(scenario_app, ["run", str(tiny), "--store", str(store)])
    out = CliRunner().invoke(scenario_app, ["compare", "tiny", "nope", "--store", str(store)])
    assert out.exit_code == 2 and "no stored run 'nope'" in out.output


def test_bad_scenario_file_error_names_file_line_and_field(scenario_app, tiny):
    tiny.write_text(tiny.read_text() + '\n[[edit]]\nop = "modify_link"\nids = [1]\n'
                    'set = { colour = "red" }\n')
    out = CliRunner().invoke(scenario_app, ["run", str(tiny), "--no-store"])
    assert out.exit_code == 2
    assert str(tiny) in out.output and "line 10" in out.output and "set.colour" in out.output
