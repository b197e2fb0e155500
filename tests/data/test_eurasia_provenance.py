"""Provenance and consistency checks for the built-in ``eurasia`` dataset.

Every non-empty value of a data table must be covered by a source id (sources.csv) or an
assumption id (assumptions.csv), the network must be topologically consistent, and the
base-year demand must reproduce the demand inputs D1–D5 of calibration-targets.md.
Only pandas and the standard library are used.
"""

from __future__ import annotations

import importlib.resources
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

DATA_TABLES = ("node", "link", "crossing", "commodity", "tariff", "demand", "projects")
META_COLUMNS = {"source_ids", "field_sources", "notes", "assumption_ids"}
ID_SEP = ";"
MODES = {"rail", "road", "gas_pipeline", "oil_pipeline", "sea", "transfer"}
STATUSES = {"operating", "under_construction", "planned"}
NODE_TYPES = {
    "city",
    "junction",
    "border",
    "port",
    "mine",
    "gas_field",
    "oil_terminal",
    "refinery",
    "dry_port",
    "pumping_station",
}
CAPACITY_UNITS = {
    "rail": "trains_per_day",
    "road": "trucks_per_day",
    "gas_pipeline": "bcm_per_year",
    "oil_pipeline": "mt_per_year",
    "sea": "teu_per_year",
}
CROSSING_CAPACITY_UNITS = {"trains_per_day", "trucks_per_day", "bcm_per_year", "mt_per_year"}
BOOL = {"true", "false"}
ISO2 = re.compile(r"^[A-Z]{2}$")
BRACKET_ID = re.compile(r"\[([A-Za-z0-9\-]+)\]")
ASSUMPTION_ID = re.compile(r"^A\d{3}$")
EUROPE_RU = {"RU", "BY", "PL", "DE", "FR", "NL"}
TOLERANCE = 0.01


def _data_dir() -> Path:
    try:
        candidate = importlib.resources.files("steppe.data") / "eurasia"
        if candidate.is_dir():
            return Path(str(candidate))
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent / ".." / ".." / "src" / "steppe" / "data" / "eurasia"


DATA_DIR = _data_dir()


@cache
def table(name: str) -> pd.DataFrame:
    path = DATA_DIR / f"{name}.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def split_ids(cell: str) -> list[str]:
    return [x.strip() for x in cell.split(ID_SEP) if x.strip()]


def parse_field_sources(cell: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in split_ids(cell):
        field, _, ids = part.partition("=")
        assert field and ids, f"malformed field_sources entry {part!r}"
        out[field.strip()] = [x.strip() for x in ids.split("|") if x.strip()]
    return out


def row_ids(name: str, row: pd.Series) -> list[str]:
    ids = split_ids(row.get("source_ids", ""))
    if name == "demand":
        ids += split_ids(row.get("assumption_ids", ""))
    return ids


def known_ids() -> tuple[set[str], set[str]]:
    return set(table("sources")["source_id"]), set(table("assumptions")["assumption_id"])


def num(value: str) -> float:
    return float(value)


def gc_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def nodes_by_id() -> dict[str, Any]:
    return {r.node_id: r for r in table("node").itertuples(index=False)}


# --------------------------------------------------------------------------- files


def test_data_folder_found() -> None:
    assert (DATA_DIR / "node.csv").is_file(), f"dataset not found at {DATA_DIR}"


@pytest.mark.parametrize("name", [*DATA_TABLES, "sources", "assumptions", "conflicts"])
def test_tables_load_with_unique_header(name: str) -> None:
    raw = (DATA_DIR / f"{name}.csv").read_text(encoding="utf-8")
    header = raw.splitlines()[0].split(",")
    assert len(header) == len(set(header)), f"{name}: duplicate columns"
    assert len(table(name)) > 0, f"{name}: empty table"


# ---------------------------------------------------------------------- provenance


def test_sources_table_is_well_formed() -> None:
    src = table("sources")
    assert src["source_id"].is_unique
    for row in src.itertuples(index=False):
        assert row.url.startswith("http"), f"{row.source_id}: url {row.url!r}"
        assert row.title and row.publisher, f"{row.source_id}: title/publisher missing"


def test_assumptions_table_is_well_formed() -> None:
    asm = table("assumptions")
    assert asm["assumption_id"].is_unique
    sources, assumptions = known_ids()
    for row in asm.itertuples(index=False):
        assert ASSUMPTION_ID.match(row.assumption_id), row.assumption_id
        assert row.value != "" and len(row.rationale) > 40, (
            f"{row.assumption_id}: value/rationale missing"
        )
        for ref in split_ids(row.based_on):
            assert ref in sources or ref in assumptions, (
                f"{row.assumption_id}: based_on {ref} unknown"
            )


@pytest.mark.parametrize("name", DATA_TABLES)
def test_all_ids_resolve(name: str) -> None:
    sources, assumptions = known_ids()
    valid = sources | assumptions
    for i, row in table(name).iterrows():
        for ref in row_ids(name, row):
            assert ref in valid, f"{name} row {i}: unknown id {ref}"
        for field, refs in parse_field_sources(row.get("field_sources", "")).items():
            for ref in refs:
                assert ref in valid, f"{name} row {i} field {field}: unknown id {ref}"


@pytest.mark.parametrize("name", DATA_TABLES)
def test_every_value_has_provenance(name: str) -> None:
    df = table(name)
    value_columns = [c for c in df.columns if c not in META_COLUMNS]
    for i, row in df.iterrows():
        fs = parse_field_sources(row.get("field_sources", ""))
        for field in fs:
            assert field in df.columns, (
                f"{name} row {i}: field_sources names unknown column {field}"
            )
            assert row[field] != "", f"{name} row {i}: field_sources for empty field {field}"
        has_row_ids = bool(row_ids(name, row))
        for col in value_columns:
            if row[col] != "":
                assert has_row_ids or fs.get(col), (
                    f"{name} row {i}: value in {col} has no source or assumption"
                )


@pytest.mark.parametrize("name", DATA_TABLES)
def test_assumptions_are_used_for_their_stated_fields(name: str) -> None:
    scope = {
        r.assumption_id: split_ids(r.field) for r in table("assumptions").itertuples(index=False)
    }
    for i, row in table(name).iterrows():
        for field, refs in parse_field_sources(row.get("field_sources", "")).items():
            for ref in refs:
                if ref in scope:
                    allowed = scope[ref]
                    assert f"{name}.{field}" in allowed or name in allowed, (
                        f"{name} row {i}: {ref} (scope {allowed}) used for {field}"
                    )
        for ref in row_ids(name, row):
            if ref in scope:
                assert any(s == name or s.startswith(f"{name}.") for s in scope[ref]), (
                    f"{name} row {i}: {ref} (scope {scope[ref]}) used at row level"
                )


def _all_references() -> set[str]:
    refs: set[str] = set()
    for name in (*DATA_TABLES, "assumptions", "conflicts"):
        df = table(name)
        for col in ("source_ids", "assumption_ids", "based_on"):
            if col in df.columns:
                for cell in df[col]:
                    refs.update(split_ids(cell))
        if "field_sources" in df.columns:
            for cell in df["field_sources"]:
                for ids in parse_field_sources(cell).values():
                    refs.update(ids)
        for col in ("notes", "rationale", "values_found", "chosen_value", "reason"):
            if col in df.columns:
                for cell in df[col]:
                    refs.update(BRACKET_ID.findall(cell))
                    refs.update(re.findall(r"\bA\d{3}\b", cell))
    return refs


def test_no_orphan_sources_or_assumptions() -> None:
    sources, assumptions = known_ids()
    refs = _all_references()
    assert not sources - refs, f"sources never cited: {sorted(sources - refs)}"
    assert not assumptions - refs, f"assumptions never used: {sorted(assumptions - refs)}"


def test_conflict_references_resolve() -> None:
    sources, assumptions = known_ids()
    conflicts = table("conflicts")
    assert set(conflicts["table"]) <= set(DATA_TABLES)
    for row in conflicts.itertuples(index=False):
        assert row.values_found and row.chosen_value and row.reason
        for ref in BRACKET_ID.findall(row.values_found + row.chosen_value + row.reason):
            assert ref in sources, f"conflict {row.row_id}: unknown source {ref}"
        for ref in re.findall(r"\bA\d{3}\b", row.chosen_value + row.reason):
            assert ref in assumptions, f"conflict {row.row_id}: unknown assumption {ref}"


# ------------------------------------------------------------------------ network


def test_nodes() -> None:
    nodes = table("node")
    assert nodes["node_id"].is_unique
    for r in nodes.itertuples(index=False):
        int(r.node_id)
        assert ISO2.match(r.country), r.node_id
        assert -180 <= num(r.x_coord) <= 180 and -90 <= num(r.y_coord) <= 90, r.node_id
        assert r.node_type in NODE_TYPES, (r.node_id, r.node_type)
        assert r.zone_id in ("", r.node_id), f"node {r.node_id}: zone_id must equal node_id"
        assert r.coord_quality in {"A", "B", "C", "D"}, r.node_id
        if r.coord_quality == "D":
            fs = parse_field_sources(r.field_sources)
            assert fs.get("x_coord") and fs.get("y_coord"), (
                f"proxy node {r.node_id} needs coordinate provenance"
            )


def _check_bool_and_numbers(r: Any, label: str) -> None:
    for col in ("length_km", "design_speed_kmh", "commercial_speed_kmh", "capacity"):
        value = getattr(r, col, "")
        if value != "":
            assert num(value) > 0, f"{label}: {col} must be positive"
    if r.opening_year != "":
        assert 1850 <= int(r.opening_year) <= 2040, label
    assert r.directed in BOOL, label


def test_links() -> None:
    links, nodes = table("link"), nodes_by_id()
    assert links["link_id"].is_unique
    for r in links.itertuples(index=False):
        label = f"link {r.link_id}"
        int(r.link_id)
        assert r.from_node_id in nodes and r.to_node_id in nodes, f"{label}: unknown endpoint"
        assert r.from_node_id != r.to_node_id, label
        assert r.mode in MODES and r.status in STATUSES, label
        assert r.length_km != "", f"{label}: length missing"
        _check_bool_and_numbers(r, label)
        a, b = nodes[r.from_node_id], nodes[r.to_node_id]
        if r.mode == "sea":
            assert r.country == "XX" and a.node_type == "port" and b.node_type == "port", label
        else:
            assert r.country == a.country == b.country, (
                f"{label}: crosses a border (use crossing.csv)"
            )
        if r.mode == "rail":
            assert r.gauge_mm in {"1520", "1435"} and r.dual_gauge in BOOL, label
            assert r.dual_gauge == "false" or r.gauge_mm == "1520", label
            assert r.tracks in {"", "1", "2"} and r.electrified in BOOL | {""}, label
        else:
            assert r.gauge_mm == r.dual_gauge == r.tracks == r.electrified == "", (
                f"{label}: rail attribute on {r.mode}"
            )
        if "pipeline" in r.mode:
            assert r.directed == "true", f"{label}: pipelines are one-way"
        if r.capacity != "":
            assert r.capacity_unit in {CAPACITY_UNITS[r.mode], "mt_per_year"}, label
            assert r.capacity_scope in {"per_direction", "total"}, label
        if r.status == "operating" and r.opening_year != "":
            assert int(r.opening_year) <= 2025, label


def test_link_lengths_not_shorter_than_straight_line() -> None:
    links, nodes = table("link"), nodes_by_id()
    for r in links.itertuples(index=False):
        a, b = nodes[r.from_node_id], nodes[r.to_node_id]
        if a.coord_quality in "AB" and b.coord_quality in "AB":
            straight = gc_km(num(a.y_coord), num(a.x_coord), num(b.y_coord), num(b.x_coord))
            assert num(r.length_km) >= 0.98 * straight, (
                f"link {r.link_id}: {r.length_km} km < {straight:.0f} km"
            )


def test_crossings() -> None:
    crossings, nodes = table("crossing"), nodes_by_id()
    assert crossings["crossing_id"].is_unique
    for r in crossings.itertuples(index=False):
        label = f"crossing {r.crossing_id}"
        assert r.node_a in nodes and r.node_b in nodes, f"{label}: unknown node"
        assert nodes[r.node_a].country == r.country_a and nodes[r.node_b].country == r.country_b, (
            label
        )
        assert r.country_a != r.country_b, label
        modes = set(split_ids(r.modes))
        assert modes and modes <= MODES - {"sea", "transfer"}, label
        assert r.gauge_change in BOOL and r.status in STATUSES, label
        _check_bool_and_numbers(r, label)
        for col in ("dwell_hours_ab", "dwell_hours_ba", "fee_usd_per_tonne"):
            if getattr(r, col) != "":
                assert num(getattr(r, col)) >= 0, label
        for col in ("transshipment_capacity_ab", "transshipment_capacity_ba"):
            if getattr(r, col) != "":
                assert num(getattr(r, col)) > 0, label
        if r.capacity != "":
            assert r.capacity_unit in CROSSING_CAPACITY_UNITS and r.capacity_scope in {
                "per_direction",
                "total",
            }, label
        if modes & {"gas_pipeline", "oil_pipeline"}:
            assert r.directed == "true", label
        if r.gauge_change == "true":
            assert "rail" in modes, label
        if r.fee_usd_per_tonne != "":
            assert r.fee_unit, label


def test_every_zone_and_border_node_is_connected() -> None:
    used = set(table("link")["from_node_id"]) | set(table("link")["to_node_id"])
    used |= set(table("crossing")["node_a"]) | set(table("crossing")["node_b"])
    loose = set(table("node")["node_id"]) - used
    assert not loose, f"nodes without link or crossing: {sorted(loose)}"


def test_projects_reference_existing_elements() -> None:
    for r in table("projects").itertuples(index=False):
        target = table(r.table)
        key = {"link": "link_id", "crossing": "crossing_id"}[r.table]
        assert r.element_id in set(target[key]), (
            f"project {r.project_id}: {r.table} {r.element_id} missing"
        )
        assert r.field in target.columns, f"project {r.project_id}: field {r.field}"
        assert r.status in {"planned", "under_construction", "completed"}


# --------------------------------------------------------------- commodities/tariffs


def test_commodities_and_tariffs() -> None:
    comm = table("commodity")
    assert comm["commodity"].is_unique
    for r in comm.itertuples(index=False):
        assert set(split_ids(r.allowed_modes)) <= MODES and r.allowed_modes, r.commodity
        for col in ("tonnes_per_unit", "value_of_time_usd_per_unit_hour"):
            if getattr(r, col) != "":
                assert num(getattr(r, col)) > 0, (r.commodity, col)
    names = set(comm["commodity"]) | {"*"}
    for r in table("tariff").itertuples(index=False):
        assert r.mode in MODES and r.commodity in names, r.tariff_id
        assert r.country in {"*", "XX"} or ISO2.match(r.country), r.tariff_id
        assert num(r.value) > 0 and r.unit.startswith("USD/"), r.tariff_id
        assert r.cost_type in {"per_km", "gauge_change", "per_transfer", "per_transit"}, r.tariff_id


def test_mongolian_cost_inputs_match_cpmm() -> None:
    """C4: rail USD 440 and road USD 1,455 per 500 km per 20 t (CPMM 2022)."""
    tariff = table("tariff").set_index(["mode", "country", "commodity", "cost_type"])
    assert num(tariff.loc[("rail", "MN", "*", "per_km"), "value"]) == pytest.approx(440 / 500 / 20)
    assert num(tariff.loc[("road", "MN", "*", "per_km"), "value"]) == pytest.approx(1455 / 500 / 20)


def test_zamyn_uud_border_inputs_match_cpmm() -> None:
    """C2/C3: Zamyn-Üüd 31 h average (2023); processing 20 trains/day at Erenhot, 7 at Zamyn-Üüd."""
    crossings = table("crossing")
    mask = (
        (crossings.node_a == "39")
        & (crossings.node_b == "60")
        & crossings.modes.str.contains("rail")
    )
    row = crossings[mask].iloc[0]
    assert (num(row.dwell_hours_ab) + num(row.dwell_hours_ba)) / 2 == pytest.approx(
        31, rel=TOLERANCE
    )
    assert (num(row.transshipment_capacity_ab), num(row.transshipment_capacity_ba)) == (20, 7)


# ------------------------------------------------------------------------- demand


def _demand() -> pd.DataFrame:
    dem = table("demand").copy()
    country = table("node").set_index("node_id")["country"]
    dem["o_cc"] = dem["origin_zone"].map(country)
    dem["d_cc"] = dem["destination_zone"].map(country)
    dem["volume_num"] = dem["volume"].astype(float)
    return dem


def test_demand_rows() -> None:
    zones = set(table("node").query("zone_id != ''")["zone_id"])
    units = table("commodity").set_index("commodity")["unit"]
    for r in table("demand").itertuples(index=False):
        assert r.origin_zone in zones and r.destination_zone in zones, (
            f"demand {r.demand_id}: not a zone"
        )
        assert r.origin_zone != r.destination_zone, r.demand_id
        assert r.commodity in units.index, r.demand_id
        assert r.unit == f"{units[r.commodity]}/year".replace("tonne/", "t/"), (r.demand_id, r.unit)
        assert num(r.volume) > 0 and r.year == "2023", r.demand_id
        assert r.assumption_ids or r.source_ids, r.demand_id


def test_demand_d1_china_europe_containers() -> None:
    d = _demand().query("commodity == 'container'")
    cn_eu = d[
        ((d.o_cc == "CN") & d.d_cc.isin(EUROPE_RU)) | ((d.d_cc == "CN") & d.o_cc.isin(EUROPE_RU))
    ]
    assert cn_eu.volume_num.sum() == pytest.approx(1.90e6, rel=TOLERANCE)


def test_demand_d2_mongolian_coal() -> None:
    d = _demand().query("commodity == 'coal' and o_cc == 'MN'")
    assert d.volume_num.sum() == pytest.approx(66.7e6, rel=TOLERANCE)


def test_demand_d3_power_of_siberia() -> None:
    d = _demand().query("commodity == 'natural_gas' and o_cc == 'RU' and d_cc == 'CN'")
    assert d.volume_num.sum() == pytest.approx(22.73, rel=TOLERANCE)


def test_demand_d4_pipeline_crude() -> None:
    d = _demand().query("commodity == 'crude_oil' and o_cc == 'RU' and d_cc == 'CN'")
    assert d.volume_num.sum() == pytest.approx(40e6, rel=TOLERANCE)


def test_demand_d5_china_share_of_mongolian_imports() -> None:
    """D5 (China 40.5% of imports) is applied to non-fuel imports in tonnes."""
    d = (
        _demand()
        .query("d_cc == 'MN' and o_cc != 'MN' and commodity in ['general_cargo', 'container']")
        .copy()
    )
    tpu = pd.to_numeric(
        table("commodity").set_index("commodity")["tonnes_per_unit"], errors="coerce"
    )
    d["tonnes"] = d.volume_num * d.commodity.map(tpu)
    share = d.loc[d.o_cc == "CN", "tonnes"].sum() / d.tonnes.sum()
    assert share == pytest.approx(0.405, rel=TOLERANCE)
