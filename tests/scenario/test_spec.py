"""Scenario files and edits: parsing, validation errors with file/line/field, diffs, hashes."""

from __future__ import annotations

import pytest

from steppe.scenario.edits import apply_build_edits, apply_edits
from steppe.scenario.execute import build_scenario, diff_scenario, load_base
from steppe.scenario.spec import ScenarioError, load_scenario, parse_scenario

HEAD = '[scenario]\nname = "t"\nbase = "eurasia"\n'


def _write(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path, text) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text))
    return str(info.value)


def test_invalid_toml_names_file_and_line(tmp_path):
    message = _error(tmp_path, HEAD + "year = \n")
    assert "s.toml" in message and "line 4" in message


def test_unknown_field_names_file_line_and_field(tmp_path):
    text = HEAD + '\n[[edit]]\nop = "modify_link"\nids = [21]\nset = { speed = 50 }\n'
    message = _error(tmp_path, text)
    assert "s.toml, line 8" in message
    assert "edit 1 (modify_link), set.speed" in message and "commercial_speed_kmh" in message


def test_unknown_id_unit_op_and_parameter_are_all_reported(tmp_path):
    text = HEAD + (
        '\n[[edit]]\nop = "remove_link"\nids = [99999]\n'
        '\n[[edit]]\nop = "set_border"\nids = [4]\ncapacity = 5\ncapacity_unit = "boxes"\n'
        '\n[[edit]]\nop = "teleport"\n'
        '\n[[edit]]\nop = "scale_demand"\ncommodity = "coal"\nfactor = "$growth"\n'
    )
    message = _error(tmp_path, text)
    assert "line 7" in message and "99999" in message
    assert "line 13" in message and "boxes" in message and "trains_per_day" in message
    assert "teleport" in message and "add_node" in message
    assert "$growth" in message and "parameter" in message


def test_scenario_keys_are_checked(tmp_path):
    message = _error(tmp_path, HEAD + "gap = 2\nspeed = 3\n")
    assert "scenario.gap" in message and "scenario.speed" in message and "line 5" in message


def test_unknown_preset_lists_presets():
    with pytest.raises(ScenarioError, match="pos2"):
        load_scenario("no-such-preset")


def test_edits_change_the_model_and_diff_lists_them(tmp_path):
    text = HEAD + (
        '\n[parameters]\nfactor = 2.0\n'
        '\n[[edit]]\nop = "switch_on"\nlinks = [157, 158]\ncrossings = [27, 28]\n'
        '\n[[edit]]\nop = "scale_demand"\ncommodity = "coal"\nfactor = "$factor"\n'
        '\n[[edit]]\nop = "close_border"\nids = [3]\nmodes = ["road"]\n'
        '\n[[edit]]\nop = "tariff"\nmode = "rail"\ncountry = "MN"\ncommodity = "*"\n'
        'cost_type = "per_km"\nscale = 1.5\n'
        '\n[[edit]]\nop = "set_border"\nbetween = ["MN", "CN"]\nfee_scale = 0.5\n'
    )
    scenario = load_scenario(_write(tmp_path, text))
    base, _ = load_base("eurasia")
    model = apply_edits(base, scenario).model
    assert {("link", 157), ("crossing", 28)} <= model.switched_on
    coal = model.demand[model.demand["commodity"] == "coal"]["volume"].astype(float).sum()
    base_coal = base.demand[base.demand["commodity"] == "coal"]["volume"].astype(float).sum()
    assert coal == pytest.approx(2 * base_coal)
    assert model.crossings.set_index("crossing_id").loc["3", "modes"] == "rail"
    diff = diff_scenario(scenario)
    assert {"(switched on)", "volume", "modes", "value", "fee_usd_per_tonne"} <= set(diff["field"])
    fee = diff[(diff["table"] == "crossing") & (diff["field"] == "fee_usd_per_tonne")]
    assert fee["scenario"].tolist() == ["3"]  # Zamyn-Üüd–Erenhot 6 USD/t halved


def test_growth_rate_compounds_to_the_scenario_year(tmp_path):
    text = HEAD.replace('base = "eurasia"\n', 'base = "eurasia"\nyear = 2030\n') + (
        '\n[[edit]]\nop = "scale_demand"\ncommodity = "natural_gas"\ngrowth_rate = 0.1\n'
    )
    model = apply_edits(load_base("eurasia")[0], load_scenario(_write(tmp_path, text))).model
    gas = model.demand[model.demand["commodity"] == "natural_gas"]["volume"].astype(float)
    assert gas.iloc[0] == pytest.approx(22.73 * 1.1**7, rel=1e-9)
    assert model.parameters.year == 2030


def test_commodity_closure_acts_on_the_built_network(tmp_path):
    text = HEAD + '\n[[edit]]\nop = "close_border"\nids = [4]\ncommodities = ["container"]\n'
    build, _ = build_scenario(load_scenario(_write(tmp_path, text)))
    links = build.network.links
    erenhot = links[(links["element"] == "crossing") & (links["element_id"] == 4)]
    assert not erenhot.empty
    assert not any("container|" in str(u) for u in erenhot["allowed_uses"])
    assert any("coal|" in str(u) for u in erenhot["allowed_uses"])
    assert apply_build_edits(build, []) is build


def test_content_hash_ignores_labels_but_not_content():
    a = parse_scenario(HEAD + '\n[parameters]\nx = 1\n')
    b = parse_scenario(HEAD.replace('"t"', '"other"') + '\n[parameters]\nx = 1\n')
    assert a.content_hash() == b.content_hash()
    assert a.with_parameters({"x": 2}).content_hash() != a.content_hash()
    with pytest.raises(ScenarioError, match="unknown parameter"):
        a.with_parameters({"y": 1})


def test_added_elements_must_reference_existing_nodes(tmp_path):
    text = HEAD + (
        '\n[[edit]]\nop = "add_link"\nlink_id = 990\nfrom_node_id = 60\nto_node_id = 4242\n'
        'mode = "rail"\ncountry = "CN"\nlength_km = 10\n'
    )
    assert "to_node_id" in _error(tmp_path, text)
