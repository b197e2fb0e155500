"""The ``steppe assign`` command: JSON shape, output files, exit status on bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from steppe.cli import app
from tntp_cases import tntp_path

KEYS = {
    "algorithm",
    "iterations",
    "relative_gap",
    "average_excess_cost",
    "objective",
    "seconds",
    "nodes",
    "links",
    "zones",
    "total_demand",
    "unassigned_demand",
}


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_assign_json_prints_one_object_with_the_documented_keys():
    out = invoke("assign", tntp_path("SiouxFalls"), "--algorithm", "fw", "--gap", "1e-3", "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert set(data) >= KEYS
    assert data["algorithm"] == "fw" and data["relative_gap"] <= 1e-3
    assert (data["nodes"], data["links"], data["zones"]) == (24, 76, 24)
    assert data["total_demand"] == pytest.approx(360600.0)
    assert data["unassigned_demand"] == 0.0


def test_readme_weights_are_the_default_and_options_override_them():
    folder = tntp_path("Chicago-Sketch")
    data = json.loads(invoke("assign", folder, "--gap", "1e-2", "--json").stdout)
    assert (data["toll_factor"], data["distance_factor"]) == (0.02, 0.04)
    data = json.loads(
        invoke(
            "assign",
            folder,
            "--gap",
            "1e-2",
            "--toll-factor",
            "0",
            "--distance-factor",
            "0",
            "--json",
        ).stdout
    )
    assert (data["toll_factor"], data["distance_factor"]) == (0.0, 0.0)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_out_writes_one_row_per_link(tmp_path, suffix):
    target = tmp_path / f"flows{suffix}"
    out = invoke("assign", tntp_path("SiouxFalls"), "--gap", "1e-3", "--out", target, "--json")
    assert out.exit_code == 0, out.output
    table = pd.read_csv(target) if suffix == ".csv" else pd.read_parquet(target)
    assert list(table.columns) == ["from_node", "to_node", "flow", "cost"]
    assert len(table) == 76
    assert (table["flow"] >= 0).all() and (table["cost"] > 0).all()


def test_gmns_folder_works_too(tmp_path):
    from steppe.io.gmns import write_gmns
    from steppe.io.tntp import read_tntp_folder

    case = read_tntp_folder(tntp_path("SiouxFalls"))
    write_gmns(tmp_path / "sf", case.network, case.demand)
    tntp = json.loads(invoke("assign", tntp_path("SiouxFalls"), "--gap", "1e-5", "--json").stdout)
    gmns = json.loads(invoke("assign", tmp_path / "sf", "--gap", "1e-5", "--json").stdout)
    assert gmns["objective"] == pytest.approx(tntp["objective"], rel=1e-9)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing", "not"),
        (lambda d: d, "node.csv"),
        (lambda d: (d / "x_net.tntp").write_text("<NUMBER OF ZONES> 2\n") and d, "_trips.tntp"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(tmp_path, make, message):
    out = invoke("assign", make(tmp_path), "--json")
    assert out.exit_code == 2
    assert "Traceback" not in out.output
    assert message.lower() in out.output.lower()
    assert out.stdout.strip() == "" or not out.stdout.strip().startswith("{")


def test_bad_option_value_exits_2():
    out = invoke("assign", tntp_path("SiouxFalls"), "--gap", "-1", "--json")
    assert out.exit_code == 2
    assert "target_gap" in out.output
