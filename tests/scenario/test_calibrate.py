"""``steppe calibrate``: every calibration target gets a row; the mechanism inputs match."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from steppe.commands.calibrate import calibrate
from steppe.scenario import calibrate as calibration
from steppe.scenario import load_eurasia

TARGETS = {"D1", "D2", "D3", "D4", "D5", "C1", "C2", "C3", "C4", "C5", "C6"}


@pytest.fixture(scope="module")
def solved():
    return calibration.solve(load_eurasia(), target_gap=1e-5)


@pytest.fixture(scope="module")
def table(solved):
    return calibration.calibration_table(solved)


def test_every_target_has_a_row(table):
    assert set(table["target"]) == TARGETS
    assert len(table[table["target"] == "C1"]) == 4
    for column in ("observed", "modelled", "error", "tolerance", "ok"):
        assert column in table


def test_demand_inputs_and_border_inputs_are_within_tolerance(table):
    fixed = table[table["target"].isin(["D1", "D2", "D3", "D4", "D5", "C2", "C3", "C4", "C6"])]
    assert fixed["ok"].all(), fixed[~fixed["ok"]].to_string()


def test_c1_shares_are_shares_of_the_assignment(solved, table):
    c1 = table[table["target"] == "C1"]
    assert c1["modelled"].between(0, 1).all()
    # the four C1 groups plus any other exit port make up all China–Europe containers
    shares = calibration.china_europe_route_shares(solved.result, solved.build)
    assert shares["share"].sum() == pytest.approx(1.0)
    assert c1["modelled"].sum() <= 1.0 + 1e-9
    # the UBTZ transit limit (4 container trains/day each way at Naushki) caps Erenhot
    erenhot = c1.loc[c1["figure"].str.contains("Erenhot"), "modelled"].iloc[0]
    assert erenhot <= 2 * 4 * 365 * 107 / 1.9e6 + 1e-6


def test_parameters_list_the_calibrated_dispersion(solved):
    params = calibration.parameter_table(solved.build)
    container = params[params["parameter"] == "dispersion_per_hour[container]"].iloc[0]
    assert container["value"] > 0 and container["tuned"] and "A085" in container["basis"]


def test_score_is_zero_only_at_the_targets():
    perfect = {name: target for name, (_, target) in calibration.C1_TARGETS.items()}
    assert calibration.c1_score(perfect) == 0.0
    off = dict(perfect, Manzhouli=perfect["Manzhouli"] + 0.1)
    assert calibration.c1_score(off) == pytest.approx(0.01)


def test_command_prints_json(monkeypatch, solved):
    monkeypatch.setattr(calibration, "solve", lambda model, **_: solved)
    app = typer.Typer()
    app.command()(calibrate)
    out = CliRunner().invoke(app, ["--json"])
    assert out.exit_code in (0, 1), out.output
    data = json.loads(out.stdout)
    assert {r["target"] for r in data["targets"]} == TARGETS
    assert data["all_within_tolerance"] == (out.exit_code == 0)
    assert any(p["parameter"] == "dispersion_per_hour[container]" for p in data["parameters"])
