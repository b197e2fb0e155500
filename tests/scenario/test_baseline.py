"""The built-in eurasia base year runs, converges, serves all demand and respects capacities."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from steppe.analysis import crossing_table
from steppe.cli import app
from steppe.scenario import load_eurasia, run_corridor


@pytest.fixture(scope="module")
def baseline():
    return run_corridor(load_eurasia(), target_gap=1e-6)


def test_baseline_converges_and_respects_every_hard_capacity(baseline):
    result = baseline.result
    assert result.converged and result.relative_gap <= 1e-6
    links = result.links.merge(baseline.build.network.links[["link_id", "hard_capacity"]])
    capped = links[np.isfinite(links["hard_capacity"])]
    assert (capped["flow"] <= capped["hard_capacity"] * (1 + 1e-6)).all()


def test_crossing_volumes_add_up_to_the_class_flows(baseline):
    table = crossing_table(baseline.result, baseline.build)
    links = baseline.build.network.links
    crossing_ids = links.loc[links["element"] == "crossing", "link_id"]
    total = baseline.result.links.set_index("link_id").loc[crossing_ids, "flow"].sum()
    assert table["tonnes"].sum() + table["bcm"].sum() == pytest.approx(total, rel=1e-9)
    gas = table[table["mode"] == "gas_pipeline"]["bcm"].sum()
    assert gas == pytest.approx(22.73, rel=1e-6)  # Power of Siberia 1, 2023 (D3)


def test_run_baseline_json_shape(tmp_path):
    store = tmp_path / "runs.duckdb"
    out = CliRunner().invoke(app, ["run", "baseline", "--json", "--store", str(store)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    for key in ("relative_gap", "seconds", "unserved", "crossings", "route_shares", "transit"):
        assert key in data
    shares = data["route_shares"]["china_europe_containers"]
    assert sum(shares.values()) == pytest.approx(1.0)
    row = data["crossings"][0]
    for key in ("name", "from_country", "to_country", "mode", "tonnes", "teu", "trains", "bcm"):
        assert key in row
    assert all(len(r["from_country"]) == 2 and len(r["to_country"]) == 2 for r in data["crossings"])
    assert store.is_file()  # the run went to the store named on the command line


def test_unknown_scenario_exits_2_with_message():
    out = CliRunner().invoke(app, ["run", "no-such-scenario"])
    assert out.exit_code == 2
    assert "unknown scenario" in out.output
