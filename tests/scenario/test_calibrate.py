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


def test_every_target_is_within_tolerance(table):
    assert table["ok"].all(), table[~table["ok"]].to_string()


def test_c1_shares_are_shares_of_the_assignment(solved, table):
    c1 = table[table["target"] == "C1"]
    assert c1["modelled"].between(0, 1).all()
    # the four C1 groups plus any other exit port make up all China–Europe containers
    shares = calibration.china_europe_route_shares(solved.result, solved.build)
    assert shares["share"].sum() == pytest.approx(1.0)
    assert c1["modelled"].sum() <= 1.0 + 1e-9
    # the UBTZ transit limit (4 container trains/day each way at Naushki) caps Erenhot
    erenhot = shares.loc[shares["port"] == "Erenhot", "teu"].iloc[0]
    assert erenhot <= 2 * 4 * 365 * 888 / 8.3 * (1 + 1e-6)


def test_parameters_list_both_tuned_parameters(solved):
    params = calibration.parameter_table(solved.build)
    container = params[params["parameter"] == "dispersion_per_hour[container]"].iloc[0]
    assert container["value"] > 0 and container["tuned"] and "A085" in container["basis"]
    lanes = params[params["parameter"].str.startswith("container_lane_share[")]
    assert set(lanes["parameter"]) == {"container_lane_share[Dostyk–Alashankou]",
                                       "container_lane_share[Altynkol–Khorgos]"}  # fmt: skip
    assert lanes["tuned"].all() and lanes["value"].between(0, 1).all()
    assert set(params.loc[params["tuned"], "parameter"]) == {
        "dispersion_per_hour[container]", *lanes["parameter"]}  # fmt: skip


def test_xinjiang_exchange_binds_and_pushes_trains_east(solved):
    """The mechanism behind C1: a full Xinjiang container lane queues; Manzhouli takes trains."""
    crossings = calibration.crossing_table(solved.result, solved.build)
    dostyk = crossings[crossings["name"].eq("Dostyk–Alashankou") & crossings["mode"].eq("rail")]
    assert (dostyk["queue_delay_h"] > 0).any()
    naushki = crossings[crossings["name"].eq("Naushki–Sükhbaatar")]
    assert (naushki["queue_delay_h"] > 0).any()


def test_with_lane_share_sets_only_the_crossings_that_have_one():
    model = load_eurasia()
    changed = calibration.with_lane_share(model, 0.7).crossings
    share = changed.set_index(changed["crossing_id"].astype(int))["container_lane_share"]
    assert share.loc[15] == share.loc[17] == "0.7"
    assert share.drop([15, 17]).fillna("").astype(str).str.strip().eq("").all()


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
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert {r["target"] for r in data["targets"]} == TARGETS
    assert data["all_within_tolerance"]
    assert any(p["parameter"] == "dispersion_per_hour[container]" for p in data["parameters"])
    assert sum(p["tuned"] for p in data["parameters"]) == 3


def test_route_cost_without_queues_drops_only_the_queueing_delay(solved):
    via_mn = frozenset({4, 1})
    args = (solved.result, solved.build, "container|CN>RU", 65, 1)
    queued = calibration.route_cost(*args, via_crossings=via_mn)
    service = calibration.route_cost(*args, via_crossings=via_mn, queue=False)
    assert service["generalized_cost_h"] < queued["generalized_cost_h"]
    assert service["money_usd_per_unit"] == pytest.approx(queued["money_usd_per_unit"])
