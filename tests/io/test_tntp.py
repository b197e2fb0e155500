"""TNTP readers: the reference cases, and one test per kind of broken input."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from steppe.errors import InputError
from steppe.io.tntp import (
    CostWeights,
    parse_best_known_objective,
    parse_cost_weights,
    read_tntp_demand,
    read_tntp_flows,
    read_tntp_folder,
    read_tntp_network,
)
from steppe.model import DataWarning

# ----------------------------------------------------------------------------- fixtures

# Line numbers matter: metadata 1-5, blank 6, comment 7, links on lines 8-11.
NET = """<NUMBER OF ZONES> 2
<NUMBER OF NODES> 4
<FIRST THRU NODE> 3
<NUMBER OF LINKS> 4
<END OF METADATA>

~\tinit_node\tterm_node\tcapacity\tlength\tfree_flow_time\tb\tpower\tspeed\ttoll\tlink_type\t;
\t1\t3\t100\t1\t2\t0.15\t4\t0\t0\t1\t;
\t3\t4\t100\t1\t2\t0.15\t4\t0\t0\t1\t;
\t4\t2\t100\t1\t2\t0.15\t4\t0\t0\t1\t;
\t2\t1\t100\t1\t2\t0.15\t4\t0\t0\t1\t;
"""

NODES = "node\tX\tY\t;\n1\t0\t0\t;\n2\t1\t0\t;\n3\t0\t1\t;\n4\t1\t1\t;\n"

# Origin 1 on line 6 (entries line 7), Origin 2 on line 8 (entries line 9).
TRIPS = """<NUMBER OF ZONES> 2
<TOTAL OD FLOW> 30.0
<END OF METADATA>


Origin 1
    1 :      0.0;     2 :    10.0;
Origin 2
    1 :    20.0;     2 :    0.0;
"""

FLOWS = "From \tTo \tVolume \tCost \n1 \t3 \t10 \t2.5 \n3 \t4 \t10 \t2.5 \n4 \t2 \t12 \t2.5 \n" \
        "2 \t1 \t10 \t2.5 \n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def expect_problem(call: Callable[[], object], *, file: Path, line: int | str | None,
                   field: str | None, value: str | None, expected: str) -> InputError:
    """Call, expect InputError, and find one problem line naming all the parts."""
    with pytest.raises(InputError) as info:
        call()
    message = str(info.value)
    parts = [file.name, expected]
    if field is not None:
        parts.append(f"field '{field}'")
    if value is not None:
        parts.append(f"got {value!r}")
    for text in message.splitlines():
        if all(p in text for p in parts) and (
            line is None or re.search(rf"(line|link_id) {line}\b", text)
        ):
            return info.value
    pytest.fail(f"no problem naming {parts} on line {line} in:\n{message}")


@pytest.fixture
def net_path(tmp_path: Path) -> Path:
    return write(tmp_path, "toy_net.tntp", NET)


@pytest.fixture
def network(net_path: Path):
    return read_tntp_network(net_path)


# ----------------------------------------------------------------------------- good input


def test_toy_network_tables(net_path: Path) -> None:
    node_path = write(net_path.parent, "toy_node.tntp", NODES)
    net = read_tntp_network(net_path, node_path=node_path)
    assert net.name == "toy"
    assert net.links["link_id"].tolist() == [1, 2, 3, 4]
    assert net.links["from_node_id"].tolist() == [1, 3, 4, 2]
    assert net.links["alpha"].tolist() == [0.15] * 4
    assert net.links["beta"].tolist() == [4.0] * 4
    assert net.nodes["node_id"].tolist() == [1, 2, 3, 4]
    assert net.nodes["zone_id"].tolist()[:2] == [1, 2]
    assert net.nodes["zone_id"].isna().tolist() == [False, False, True, True]
    assert net.nodes["through_traffic"].tolist() == [False, False, True, True]
    assert net.nodes["x_coord"].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert net.metadata["first_thru_node"] == 3
    assert net.metadata["format"] == "tntp"
    assert net.metadata["number_of_links"] == 4


def test_first_thru_node_1_means_every_node_is_thru(tmp_path: Path) -> None:
    net = read_tntp_network(write(tmp_path, "a_net.tntp", edit(NET, "NODE> 3", "NODE> 1")))
    assert net.nodes["through_traffic"].all()


def test_spaces_and_missing_semicolons(tmp_path: Path) -> None:
    text = NET.replace("\t", "  ").replace(";", "")
    net = read_tntp_network(write(tmp_path, "a_net.tntp", text))
    assert net.n_links == 4


def test_trips_toy(tmp_path: Path, network) -> None:
    demand = read_tntp_demand(write(tmp_path, "toy_trips.tntp", TRIPS), network=network)
    table = demand.table
    assert table[["origin", "destination"]].to_numpy().tolist() == [[1, 2], [2, 1]]
    assert table["volume"].tolist() == [10.0, 20.0]
    assert demand.classes == ("all",)


def test_flows_toy(tmp_path: Path, network) -> None:
    flows = read_tntp_flows(write(tmp_path, "toy_flow.tntp", FLOWS), network)
    assert list(flows.columns) == ["link_id", "from_node_id", "to_node_id", "flow", "cost"]
    assert flows["flow"].tolist() == [10, 10, 12, 10]


def test_flows_parallel_links_matched_in_order(tmp_path: Path) -> None:
    net_text = edit(edit(NET, "LINKS> 4", "LINKS> 5"), "\t2\t1\t100", "\t1\t3\t50\t1\t2\t0.15"
                    "\t4\t0\t0\t1\t;\n\t2\t1\t100")
    with pytest.warns(DataWarning):
        net = read_tntp_network(write(tmp_path, "a_net.tntp", net_text))
    # The duplicate was dropped; a flow file listing it twice has one line too many.
    flows = FLOWS + "1 \t3 \t7 \t2.5 \n"
    expect_problem(lambda: read_tntp_flows(write(tmp_path, "a_flow.tntp", flows), net),
                   file=tmp_path / "a_flow.tntp", line=6, field="From/To", value="1 3",
                   expected="a link of network")


# ----------------------------------------------------------------------------- reference data


def test_sioux_falls(tntp_case) -> None:
    case = tntp_case("SiouxFalls")
    assert (case.network.n_nodes, case.network.n_links) == (24, 76)
    assert case.demand.total() == pytest.approx(360600.0)
    assert case.network.nodes["through_traffic"].all()
    assert case.best_flows is not None
    assert case.best_flows["link_id"].tolist() == case.network.links["link_id"].tolist()
    assert case.best_known_objective == pytest.approx(42.31335287107440)
    assert case.readme_weights == CostWeights(toll=0.0, distance=0.0)
    assert case.network.nodes["x_coord"].notna().all()


def test_anaheim_without_node_file(tntp_case) -> None:
    case = tntp_case("Anaheim")
    assert (case.network.n_nodes, case.network.n_links) == (416, 914)
    assert case.network.nodes["x_coord"].isna().all()
    assert (~case.network.nodes["through_traffic"]).sum() == 38
    assert case.best_known_objective is None


@pytest.mark.slow
def test_chicago_sketch(tntp_case) -> None:
    case = tntp_case("Chicago-Sketch")
    assert (case.network.n_nodes, case.network.n_links) == (933, 2950)
    assert case.demand.total() == pytest.approx(1260907.44, rel=1e-6)
    assert case.readme_weights == CostWeights(0.02, 0.04, "minutes/cent", "minutes/mile")
    assert case.best_known_objective == pytest.approx(17313018.7387477)
    assert case.best_flows is not None and len(case.best_flows) == 2950


@pytest.mark.slow
def test_berlin_center_duplicates_warn_and_keep_first(tntp_dir: Path) -> None:
    folder = tntp_dir / "Berlin-Center"
    if not folder.is_dir():
        pytest.skip(f"TNTP case not found at {folder}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net = read_tntp_network(folder / "berlin-center_net.tntp")
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert len(messages) == 6
    assert "line 4916" in messages[0] and "line 4915" in messages[0]
    assert "1246 -> 1244" in messages[0]
    assert net.n_links == 28376 - 6
    assert net.metadata["number_of_links"] == 28376
    pair = net.links[(net.links["from_node_id"] == 1246) & (net.links["to_node_id"] == 1244)]
    assert pair["link_id"].tolist() == [4915 - 9]  # the first of the two is kept


@pytest.mark.slow
def test_berlin_center_strict_rejects_duplicates(tntp_dir: Path) -> None:
    path = tntp_dir / "Berlin-Center" / "berlin-center_net.tntp"
    if not path.is_file():
        pytest.skip(f"TNTP file not found at {path}")
    with pytest.raises(InputError, match="6 problem"):
        read_tntp_network(path, strict=True)


def test_readme_parsing() -> None:
    text = "# X\n## Generalized Cost Weights\nToll: 0.02 minutes/cent\nDistance: \n## Solutions\n"
    assert parse_cost_weights(text) == CostWeights(toll=0.02, toll_unit="minutes/cent")
    assert parse_cost_weights("no section") == CostWeights()
    assert parse_best_known_objective("Optimal objective function value: 1.5e3. ") == 1500.0
    assert parse_best_known_objective("nothing") is None


# ----------------------------------------------------------------------------- folder


def test_folder_needs_exactly_one_net_file(tmp_path: Path) -> None:
    write(tmp_path, "a_net.tntp", NET)
    write(tmp_path, "b_NET.tntp", NET)
    write(tmp_path, "a_trips.tntp", TRIPS)
    expect_problem(lambda: read_tntp_folder(tmp_path), file=tmp_path, line=None,
                   field="*_net.tntp", value="a_net.tntp, b_NET.tntp", expected="exactly one")


def test_folder_without_trips(tmp_path: Path) -> None:
    write(tmp_path, "a_net.tntp", NET)
    expect_problem(lambda: read_tntp_folder(tmp_path), file=tmp_path, line=None,
                   field="*_trips.tntp", value=None, expected="exactly one file")


def test_folder_reads_toy_case(tmp_path: Path) -> None:
    write(tmp_path, "Toy_net.tntp", NET)
    write(tmp_path, "Toy_trips.tntp", TRIPS)
    write(tmp_path, "Toy_flow.tntp", FLOWS)
    write(tmp_path, "toy_node.tntp", NODES)
    case = read_tntp_folder(tmp_path)
    assert case.name == tmp_path.name
    assert case.best_flows is not None
    assert case.network.nodes["y_coord"].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert case.readme_weights == CostWeights()


# ----------------------------------------------------------------------------- broken files
# Every kind of broken input has its own case: (id, file text, line, field, value, expected).


def _common_file_errors(reader: Callable[[Path], object], tmp_path: Path) -> None:
    missing = tmp_path / "missing.tntp"
    expect_problem(lambda: reader(missing), file=missing, line=None, field=None, value=None,
                   expected="no such file")
    folder = tmp_path / "folder_net.tntp"
    folder.mkdir()
    expect_problem(lambda: reader(folder), file=folder, line=None, field=None, value=None,
                   expected="this path is a folder")
    latin = tmp_path / "latin.tntp"
    latin.write_bytes(b"<NUMBER OF ZONES> 2\n~ Z\xfcrich\n")
    expect_problem(lambda: reader(latin), file=latin, line=2, field="encoding",
                   value="byte 0xfc", expected="UTF-8")


NET_CASES = [
    ("missing metadata key", edit(NET, "<NUMBER OF NODES> 4\n", ""), None,
     "<NUMBER OF NODES>", None, "a metadata line '<NUMBER OF NODES>"),
    ("metadata not a whole number", edit(NET, "NODES> 4", "NODES> four"), 2,
     "<NUMBER OF NODES>", "four", "a whole number >= 1"),
    ("metadata key twice", edit(NET, "<END OF", "<NUMBER OF ZONES> 3\n<END OF"), 5,
     "<NUMBER OF ZONES>", "3", "each metadata key once (first given on line 1)"),
    ("end of metadata missing", edit(NET, "<END OF METADATA>\n", ""), 7,
     "<END OF METADATA>", "1\t3\t100\t1\t2\t0.15\t4\t0\t0\t1\t;",
     "'<END OF METADATA>' between the metadata and the first data line"),
    ("zones above nodes", edit(NET, "ZONES> 2", "ZONES> 5"), 1, "<NUMBER OF ZONES>", "5",
     "at most <NUMBER OF NODES> = 4"),
    ("first thru node beyond zones", edit(NET, "NODE> 3", "NODE> 4"), 3,
     "<FIRST THRU NODE>", "4", "a node id in 1..3"),
    ("wrong field count", edit(NET, "\t3\t4\t100\t1\t2", "\t3\t4\t100\t2"), 9, "field count",
     "3\t4\t100\t2\t0.15\t4\t0\t0\t1\t;", "10 fields (init_node term_node"),
    ("non-numeric capacity", edit(NET, "\t3\t4\t100", "\t3\t4\tlots"), 9, "capacity", "lots",
     "a number"),
    ("node id not whole", edit(NET, "\t3\t4\t100", "\t3.5\t4\t100"), 9,
     "init_node (from_node_id)", "3.5", "a whole number"),
    ("node id out of range", edit(NET, "\t3\t4\t100", "\t3\t9\t100"), 9,
     "term_node (to_node_id)", "9", "a node id in 1..4 (<NUMBER OF NODES>)"),
    ("non-positive capacity", edit(NET, "\t3\t4\t100", "\t3\t4\t0"), 9, "capacity", "0",
     "a positive number"),
    ("negative free-flow time", edit(NET, "\t3\t4\t100\t1\t2", "\t3\t4\t100\t1\t-2"), 9,
     "free_flow_time", "-2", "a number >= 0"),
    ("NaN value", edit(NET, "\t3\t4\t100\t1\t2\t0.15", "\t3\t4\t100\t1\t2\tnan"), 9,
     "b (alpha)", "nan", "a number"),
    ("infinite value", edit(NET, "\t3\t4\t100\t1\t2\t0.15\t4", "\t3\t4\t100\t1\t2\t0.15\tinf"),
     9, "power (beta)", "inf", "a finite number"),
    ("non-numeric speed", edit(NET, "\t3\t4\t100\t1\t2\t0.15\t4\t0", "\t3\t4\t100\t1\t2\t0.15"
     "\t4\tfast"), 9, "speed", "fast", "a number"),
    ("link count differs from metadata", edit(NET, "LINKS> 4", "LINKS> 5"), 4,
     "<NUMBER OF LINKS>", "5", "the number of link lines, 4"),
    ("self loop", edit(NET, "\t3\t4\t100", "\t3\t3\t100"), 9, "term_node (to_node_id)", "3",
     "a node other than from_node_id"),
    ("no links", NET.split("~")[0].replace("LINKS> 4", "LINKS> 1"), None, "links", None,
     "at least one link line"),
]


@pytest.mark.parametrize(("text", "line", "field", "value", "expected"),
                         [c[1:] for c in NET_CASES], ids=[c[0] for c in NET_CASES])
def test_broken_net_file(tmp_path: Path, text: str, line, field, value, expected) -> None:
    path = write(tmp_path, "bad_net.tntp", text)
    expect_problem(lambda: read_tntp_network(path), file=path, line=line, field=field,
                   value=value, expected=expected)


def test_net_file_missing_folder_or_not_utf8(tmp_path: Path) -> None:
    _common_file_errors(read_tntp_network, tmp_path)


def test_duplicate_link_warns_naming_both_lines(tmp_path: Path) -> None:
    text = edit(NET, "LINKS> 4", "LINKS> 5") + "\t3\t4\t90\t1\t2\t0.15\t4\t0\t0\t1\t;\n"
    path = write(tmp_path, "dup_net.tntp", text)
    with pytest.warns(DataWarning, match=r"line 12.*'3 -> 4'.*line 9") as caught:
        net = read_tntp_network(path)
    assert "dup_net.tntp" in str(caught[0].message)
    assert net.n_links == 4
    assert net.links.loc[net.links["from_node_id"] == 3, "capacity"].tolist() == [100.0]


def test_duplicate_link_strict_is_an_error(tmp_path: Path) -> None:
    text = edit(NET, "LINKS> 4", "LINKS> 5") + "\t3\t4\t90\t1\t2\t0.15\t4\t0\t0\t1\t;\n"
    path = write(tmp_path, "dup_net.tntp", text)
    expect_problem(lambda: read_tntp_network(path, strict=True), file=path, line=12,
                   field="init_node/term_node", value="3 -> 4", expected="line 9 has the same")


def test_missing_first_thru_node_warns_or_fails_strict(tmp_path: Path) -> None:
    path = write(tmp_path, "a_net.tntp", edit(NET, "<FIRST THRU NODE> 3\n", ""))
    with pytest.warns(DataWarning, match="assuming 1"):
        assert read_tntp_network(path).nodes["through_traffic"].all()
    expect_problem(lambda: read_tntp_network(path, strict=True), file=path, line=None,
                   field="<FIRST THRU NODE>", value=None, expected="assuming 1")


def test_all_problems_of_a_file_reported_at_once(tmp_path: Path) -> None:
    text = edit(edit(NET, "\t3\t4\t100", "\t3\t4\t-1"), "\t4\t2\t100", "\t4\t2\tx")
    path = write(tmp_path, "bad_net.tntp", text)
    with pytest.raises(InputError) as info:
        read_tntp_network(path)
    assert [(p.row, p.field) for p in info.value.problems] == [(10, "capacity"), (9, "capacity")]


# ----------------------------------------------------------------------------- node file

NODE_CASES = [
    ("header missing", NODES.split("\n", 1)[1], 1, "header", "1\t0\t0\t;", "node X Y"),
    ("wrong field count", edit(NODES, "2\t1\t0", "2\t1"), 3, "field count", "2\t1\t;",
     "3 fields (node X Y)"),
    ("non-numeric node id", edit(NODES, "2\t1\t0", "two\t1\t0"), 3, "node", "two", "a number"),
    ("node id not whole", edit(NODES, "2\t1\t0", "2.5\t1\t0"), 3, "node", "2.5",
     "a whole number"),
    ("non-numeric X", edit(NODES, "2\t1\t0", "2\teast\t0"), 3, "X", "east", "a number"),
    ("NaN coordinate", edit(NODES, "2\t1\t0", "2\t1\tNaN"), 3, "Y", "NaN", "a finite number"),
    ("infinite coordinate", edit(NODES, "2\t1\t0", "2\t-inf\t0"), 3, "X", "-inf",
     "a finite number"),
    ("node id out of range", edit(NODES, "4\t1\t1", "5\t1\t1"), 5, "node", "5",
     "a node id in 1..4"),
    ("node id zero", edit(NODES, "4\t1\t1", "0\t1\t1"), 5, "node", "0", "a node id in 1..4"),
    ("duplicate node id", edit(NODES, "4\t1\t1", "3\t1\t1"), 5, "node", "3",
     "each node once (node 3 is also on line 4)"),
    ("empty file", "", None, "nodes", None, "a header 'node X Y ;' and one line per node"),
    ("header only", "Node X Y ;\n", None, "nodes", None, "one line per node"),
]


@pytest.mark.parametrize(("text", "line", "field", "value", "expected"),
                         [c[1:] for c in NODE_CASES], ids=[c[0] for c in NODE_CASES])
def test_broken_node_file(tmp_path: Path, net_path: Path, text: str, line, field, value,
                          expected) -> None:
    path = write(tmp_path, "bad_node.tntp", text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        expect_problem(lambda: read_tntp_network(net_path, node_path=path), file=path,
                       line=line, field=field, value=value, expected=expected)


def test_node_file_missing_folder_or_not_utf8(tmp_path: Path, net_path: Path) -> None:
    _common_file_errors(lambda p: read_tntp_network(net_path, node_path=p), tmp_path)
    utf16 = tmp_path / "utf16_node.tntp"
    utf16.write_bytes(NODES.encode("utf-16"))
    expect_problem(lambda: read_tntp_network(net_path, node_path=utf16), file=utf16, line=1,
                   field="encoding", value="UTF-16 byte-order mark", expected="UTF-8")


def test_node_missing_from_node_file_warns_or_fails_strict(tmp_path: Path,
                                                           net_path: Path) -> None:
    path = write(tmp_path, "short_node.tntp", edit(NODES, "3\t0\t1\t;\n", ""))
    with pytest.warns(DataWarning, match="1 node"):
        net = read_tntp_network(net_path, node_path=path)
    assert np.isnan(net.nodes["x_coord"].iloc[2])
    expect_problem(lambda: read_tntp_network(net_path, node_path=path, strict=True), file=path,
                   line=None, field="node", value="1 node(s) missing: 3",
                   expected="a line for every node 1..4")


# ----------------------------------------------------------------------------- trips file

TRIPS_CASES = [
    ("zones missing", edit(TRIPS, "<NUMBER OF ZONES> 2\n", ""), None, "<NUMBER OF ZONES>", None,
     "a metadata line '<NUMBER OF ZONES>"),
    ("total missing", edit(TRIPS, "<TOTAL OD FLOW> 30.0\n", ""), None, "<TOTAL OD FLOW>", None,
     "a metadata line '<TOTAL OD FLOW>"),
    ("total not a number", edit(TRIPS, "FLOW> 30.0", "FLOW> lots"), 2, "<TOTAL OD FLOW>", "lots",
     "a finite number >= 0"),
    ("zones not whole", edit(TRIPS, "ZONES> 2", "ZONES> 2.5"), 1, "<NUMBER OF ZONES>", "2.5",
     "a whole number >= 1"),
    ("end of metadata missing", edit(TRIPS, "<END OF METADATA>\n", ""), 5,
     "<END OF METADATA>", "Origin 1", "between the metadata and the first data line"),
    ("origin line malformed", edit(TRIPS, "Origin 2", "Origin two"), 8, "Origin", "Origin two",
     "a line 'Origin <zone id>'"),
    ("origin not a zone", edit(TRIPS, "Origin 2", "Origin 3"), 8, "origin", "3",
     "a zone id in 1..2 (<NUMBER OF ZONES>)"),
    ("origin repeated", edit(TRIPS, "Origin 2", "Origin 1"), 8, "origin", "1",
     "each origin once (Origin 1 is also on line 6)"),
    ("destination not a zone", edit(TRIPS, "2 :    10.0", "7 :    10.0"), 7, "destination", "7",
     "a zone id in 1..2 (<NUMBER OF ZONES>)"),
    ("destination not a number", edit(TRIPS, "2 :    10.0", "b :    10.0"), 7, "destination",
     "b", "a number"),
    ("destination repeated", edit(TRIPS, "1 :      0.0", "2 :      0.0"), 7, "destination",
     "2", "each destination once per origin (origin 1 lists destination 2 also on line 7)"),
    ("entry without colon", edit(TRIPS, "2 :    10.0", "2     10.0"), 7, "destination : volume",
     "2     10.0", "entries 'destination : volume;'"),
    ("volume not a number", edit(TRIPS, "2 :    10.0", "2 :    ten"), 7, "volume", "ten",
     "a number"),
    ("negative volume", edit(edit(TRIPS, "2 :    10.0", "2 :    -10.0"), "30.0", "10.0"), 7,
     "volume", "-10.0", "a number >= 0"),
    ("NaN volume", edit(TRIPS, "2 :    10.0", "2 :    nan"), 7, "volume", "nan", "a number"),
    ("infinite volume", edit(TRIPS, "2 :    10.0", "2 :    inf"), 7, "volume", "inf",
     "a finite number"),
    ("total differs from entries", edit(TRIPS, "FLOW> 30.0", "FLOW> 31.0"), 2,
     "<TOTAL OD FLOW>", "31.0", "the sum of the entries, 30 (relative tolerance 1e-6)"),
    ("zero total demand", TRIPS.replace("10.0", "0.0").replace("20.0", "0.0").replace(
        "30.0", "0"), None, "volume", "total 0", "at least one positive demand volume"),
    ("no entries at all", TRIPS.split("Origin")[0], None, "entries", None,
     "at least one 'Origin <zone id>' block"),
    ("entries before the first origin", edit(TRIPS, "Origin 1\n", ""), 6, "Origin",
     "1 :      0.0;     2 :    10.0;", "an 'Origin <zone id>' line before the first entries"),
]


@pytest.mark.parametrize(("text", "line", "field", "value", "expected"),
                         [c[1:] for c in TRIPS_CASES], ids=[c[0] for c in TRIPS_CASES])
def test_broken_trips_file(tmp_path: Path, text: str, line, field, value, expected) -> None:
    path = write(tmp_path, "bad_trips.tntp", text)
    expect_problem(lambda: read_tntp_demand(path), file=path, line=line, field=field,
                   value=value, expected=expected)


def test_trips_file_missing_folder_or_not_utf8(tmp_path: Path) -> None:
    _common_file_errors(read_tntp_demand, tmp_path)


def test_trips_zone_count_differs_from_network(tmp_path: Path, network) -> None:
    text = edit(TRIPS, "ZONES> 2", "ZONES> 3")
    path = write(tmp_path, "bad_trips.tntp", text)
    expect_problem(lambda: read_tntp_demand(path, network=network), file=path, line=1,
                   field="<NUMBER OF ZONES>", value="3",
                   expected="the number of zones of network 'toy', 2")


def test_trips_total_within_relative_tolerance(tmp_path: Path) -> None:
    path = write(tmp_path, "a_trips.tntp", edit(TRIPS, "FLOW> 30.0", "FLOW> 30.00002"))
    assert read_tntp_demand(path).total() == 30.0


# ----------------------------------------------------------------------------- flow file

FLOW_CASES = [
    ("header missing", FLOWS.split("\n", 1)[1], 1, "header", "1 \t3 \t10 \t2.5",
     "a header line 'From To Volume Cost'"),
    ("wrong field count", edit(FLOWS, "3 \t4 \t10 \t2.5", "3 \t4 \t10"), 3, "field count",
     "3 \t4 \t10", "4 fields (From To Volume Cost)"),
    ("node id not a number", edit(FLOWS, "3 \t4 \t10", "C \t4 \t10"), 3, "From", "C",
     "a number"),
    ("node id not whole", edit(FLOWS, "3 \t4 \t10", "3 \t4.2 \t10"), 3, "To", "4.2",
     "a whole number"),
    ("volume not a number", edit(FLOWS, "3 \t4 \t10", "3 \t4 \tmany"), 3, "Volume", "many",
     "a number"),
    ("NaN cost", edit(FLOWS, "3 \t4 \t10 \t2.5", "3 \t4 \t10 \tnan"), 3, "Cost", "nan",
     "a finite number"),
    ("negative volume", edit(FLOWS, "3 \t4 \t10", "3 \t4 \t-10"), 3, "Volume", "-10",
     "a number >= 0"),
    ("negative cost", edit(FLOWS, "3 \t4 \t10 \t2.5", "3 \t4 \t10 \t-2.5"), 3, "Cost", "-2.5",
     "a number >= 0"),
    ("link not in network", edit(FLOWS, "3 \t4 \t10", "3 \t1 \t10"), 3, "From/To", "3 1",
     "a link of network 'toy'"),
    ("network link without flow line", edit(FLOWS, "3 \t4 \t10 \t2.5 \n", ""), 2,
     "From/To", "3 4", "a flow line for every network link"),
    ("link listed twice", FLOWS + "4 \t2 \t1 \t2.5 \n", 6, "From/To", "4 2",
     "a link of network 'toy'"),
    ("empty file", "", None, "flows", None, "a header and one 'from to volume cost' line"),
]


@pytest.mark.parametrize(("text", "line", "field", "value", "expected"),
                         [c[1:] for c in FLOW_CASES], ids=[c[0] for c in FLOW_CASES])
def test_broken_flow_file(tmp_path: Path, network, text: str, line, field, value,
                          expected) -> None:
    path = write(tmp_path, "bad_flow.tntp", text)
    expect_problem(lambda: read_tntp_flows(path, network), file=path, line=line, field=field,
                   value=value, expected=expected)


def test_flow_file_missing_folder_or_not_utf8(tmp_path: Path, network) -> None:
    _common_file_errors(lambda p: read_tntp_flows(p, network), tmp_path)


def test_flows_frame_dtypes(tmp_path: Path, network) -> None:
    flows = read_tntp_flows(write(tmp_path, "toy_flow.tntp", FLOWS), network)
    assert flows.dtypes.astype(str).tolist() == ["int64", "int64", "int64", "float64", "float64"]
    pd.testing.assert_series_equal(flows["link_id"], network.links["link_id"])
