"""GMNS CSV: round trips (TNTP → GMNS → same tables; random networks), broken input."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from steppe.errors import InputError
from steppe.io.gmns import read_gmns, read_gmns_demand, read_gmns_network, write_gmns
from steppe.model import DataWarning, Demand, Network

NODE_CSV = """node_id,x_coord,y_coord,zone_id,through_traffic,node_type
1,0,0,1,false,centroid
2,1,0,2,false,centroid
3,0,1,,true,
4,1,1,,true,
"""

LINK_CSV = """link_id,from_node_id,to_node_id,length,capacity,free_flow_time,free_speed,lanes
1,1,3,1.5,100,2,30,1
2,3,4,1.5,100,2,30,2
3,4,2,1.5,100,2,30,1
4,2,1,1.5,100,2,30,1
"""

DEMAND_CSV = "origin,destination,demand_class,volume\n1,2,all,10\n2,1,all,20\n"


def make_folder(folder: Path, node: str | None = NODE_CSV, link: str | None = LINK_CSV,
                demand: str | None = DEMAND_CSV) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("node.csv", node), ("link.csv", link), ("demand.csv", demand)):
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def expect_problem(call: Callable[[], object], *, file: str, line: int | None,
                   field: str | None, value: str | None, expected: str) -> InputError:
    with pytest.raises(InputError) as info:
        call()
    parts = [file, expected]
    if field is not None:
        parts.append(f"field '{field}'")
    if value is not None:
        parts.append(f"got {value!r}")
    for text in str(info.value).splitlines():
        if all(p in text for p in parts) and (
            line is None or re.search(rf"line {line}\b", text)
        ):
            return info.value
    pytest.fail(f"no problem naming {parts} on line {line} in:\n{info.value}")


# ----------------------------------------------------------------------------- good input


def test_read_toy_folder(tmp_path: Path) -> None:
    network, demand = read_gmns(make_folder(tmp_path / "toy"))
    assert network.name == "toy"
    assert network.metadata["format"] == "gmns"
    assert network.links["capacity"].dtype == "float64"
    assert network.nodes["through_traffic"].tolist() == [False, False, True, True]
    assert network.nodes["zone_id"].isna().tolist() == [False, False, True, True]
    assert network.nodes["node_type"].dtype == "string"  # extra columns are typed
    assert network.links["lanes"].dtype == "int64"
    assert network.links["free_speed"].dtype == "int64"
    assert network.links["length"].dtype == "float64"
    assert demand is not None and demand.total() == 30.0


def test_demand_is_optional(tmp_path: Path) -> None:
    network, demand = read_gmns(make_folder(tmp_path, demand=None))
    assert demand is None
    assert network.n_links == 4


def test_free_flow_time_derived_from_length_and_speed(tmp_path: Path) -> None:
    link = LINK_CSV.replace(",free_flow_time", "").replace(",100,2,", ",100,")
    network = read_gmns_network(make_folder(tmp_path, link=link))
    assert network.links["free_flow_time"].tolist() == [0.05] * 4
    assert "length / free_speed" in str(network.metadata["free_flow_time"])


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "node.csv").write_bytes(b"\xef\xbb\xbf" + NODE_CSV.encode())
    assert read_gmns_network(folder).nodes["node_id"].tolist() == [1, 2, 3, 4]


def test_column_name_in_wrong_case_warns_or_fails_strict(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, node=NODE_CSV.replace("node_id", "Node_ID", 1))
    with pytest.warns(DataWarning, match="case-sensitive"):
        assert read_gmns_network(folder).nodes["node_id"].tolist() == [1, 2, 3, 4]
    expect_problem(lambda: read_gmns_network(folder, strict=True), file="node.csv", line=1,
                   field="Node_ID", value="Node_ID", expected="the column name 'node_id'")


def test_quoted_fields_and_blank_lines(tmp_path: Path) -> None:
    node = edit(NODE_CSV, "node_type\n", "node_type,name\n").replace(",centroid\n", ",c,\n")
    node = edit(node, "3,0,1,,true,\n", '\n3,0,1,,true,,"Ulan-Ude, ""East"""\n')
    node = node.replace("4,1,1,,true,\n", "4,1,1,,true,,\n")
    network = read_gmns_network(make_folder(tmp_path, node=node))
    assert network.nodes["name"].tolist()[2] == 'Ulan-Ude, "East"'


def test_write_creates_folder_and_keeps_extra_columns(tmp_path: Path) -> None:
    network, demand = read_gmns(make_folder(tmp_path / "in"))
    out = write_gmns(tmp_path / "deep" / "out", network, demand)
    assert sorted(p.name for p in out.iterdir()) == ["demand.csv", "link.csv", "node.csv"]
    header = (out / "link.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "lanes" in header and "free_speed" in header


# ----------------------------------------------------------------------------- round trips


def assert_same(network: Network, demand: Demand | None, folder: Path) -> None:
    write_gmns(folder, network, demand)
    back, back_demand = read_gmns(folder)
    assert_frame_equal(back.nodes, network.nodes)
    assert_frame_equal(back.links, network.links)
    if demand is None:
        assert back_demand is None
    else:
        assert back_demand is not None
        assert_frame_equal(back_demand.table, demand.table)


def test_round_trip_sioux_falls(tntp_case, tmp_path: Path) -> None:
    case = tntp_case("SiouxFalls")
    assert_same(case.network, case.demand, tmp_path / "sf")


def test_round_trip_anaheim_without_coordinates(tntp_case, tmp_path: Path) -> None:
    case = tntp_case("Anaheim")
    assert_same(case.network, case.demand, tmp_path / "an")


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_subnormal=True)
non_negative = st.floats(min_value=0, max_value=1e12, allow_nan=False)
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Z")),
               min_size=1, max_size=8)


@st.composite
def networks(draw: st.DrawFn) -> tuple[Network, Demand | None]:
    node_ids = draw(st.lists(st.integers(1, 10**9), min_size=2, max_size=6, unique=True))
    n = len(node_ids)
    zone_ids = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    is_zone = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    nodes = pd.DataFrame({
        "node_id": node_ids,
        "name": draw(st.lists(st.none() | text, min_size=n, max_size=n)),
        "x_coord": draw(st.lists(finite | st.just(math.nan), min_size=n, max_size=n)),
        "y_coord": draw(st.lists(finite, min_size=n, max_size=n)),
        "zone_id": [z if keep else math.nan for z, keep in zip(zone_ids, is_zone, strict=True)],
        "through_traffic": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
    })
    pair = st.tuples(st.sampled_from(node_ids), st.sampled_from(node_ids)).filter(
        lambda p: p[0] != p[1])
    pairs = draw(st.lists(pair, min_size=1, max_size=8))
    m = len(pairs)
    links = pd.DataFrame({
        "link_id": draw(st.lists(st.integers(-10**6, 10**6), min_size=m, max_size=m,
                                 unique=True)),
        "from_node_id": [p[0] for p in pairs],
        "to_node_id": [p[1] for p in pairs],
        "capacity": draw(st.lists(st.floats(1e-3, 1e9), min_size=m, max_size=m)),
        "free_flow_time": draw(st.lists(non_negative, min_size=m, max_size=m)),
        "toll": draw(st.lists(non_negative, min_size=m, max_size=m)),
        "allowed_uses": draw(st.lists(st.none() | st.sampled_from(["car", "car;truck"]),
                                      min_size=m, max_size=m)),
        "lanes": draw(st.lists(st.integers(1, 8), min_size=m, max_size=m)),
        "label": pd.array(draw(st.lists(st.none() | st.text("abcxyz,\"'", min_size=1),
                                        min_size=m, max_size=m)), dtype="string"),
    })
    network = Network.from_frames(nodes, links, name="random")
    # The schema keeps extra columns as given; text extras are read back as "string".
    typed = network.links.assign(label=network.links["label"].astype("string"))
    network = network.with_links(typed)
    zones = network.zones["zone_id"].tolist()
    if not zones:
        return network, None
    od = st.tuples(st.sampled_from(zones), st.sampled_from(zones),
                   st.sampled_from(["all", "coal", "a, b"]))
    keys = draw(st.lists(od, min_size=1, max_size=6, unique=True))
    volumes = draw(st.lists(st.floats(0.5, 1e6), min_size=len(keys), max_size=len(keys)))
    frame = pd.DataFrame(keys, columns=["origin", "destination", "demand_class"])
    frame["volume"] = volumes
    return network, Demand.from_frame(frame, network=network)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=networks())
def test_round_trip_random_networks(case: tuple[Network, Demand | None], tmp_path: Path) -> None:
    network, demand = case
    folder = tmp_path / "random"
    if folder.exists():
        for path in folder.iterdir():
            path.unlink()
    assert_same(network, demand, folder)


# ----------------------------------------------------------------------------- broken input
# (id, file to break, old text, new text, file in message, line, field, value, expected)

BROKEN = [
    ("missing required column", "node", "node_id,", "id,", "node.csv", None, "node_id", None,
     "a column named 'node_id'"),
    ("non-numeric value", "link", "1,1,3,1.5,100", "1,1,3,1.5,lots", "link.csv", 2, "capacity",
     "lots", "a number"),
    ("non-whole id", "link", "2,3,4,", "2.5,3,4,", "link.csv", 3, "link_id", "2.5",
     "a whole number"),
    ("unknown node in link", "link", "2,3,4,", "2,3,9,", "link.csv", 3, "to_node_id", "9",
     "a node id of the node table"),
    ("duplicate link_id", "link", "3,4,2,", "2,4,2,", "link.csv", 4, "link_id", "2",
     "a value not used by an earlier row"),
    ("duplicate node_id", "node", "4,1,1,", "3,1,1,", "node.csv", 5, "node_id", "3",
     "a value not used by an earlier row"),
    ("duplicate zone_id", "node", "2,1,0,2,", "2,1,0,1,", "node.csv", 3, "zone_id", "1",
     "a value not used by an earlier row"),
    ("non-positive capacity", "link", "2,3,4,1.5,100", "2,3,4,1.5,0", "link.csv", 3, "capacity",
     "0", "a positive number"),
    ("negative free-flow time", "link", "2,3,4,1.5,100,2", "2,3,4,1.5,100,-2", "link.csv", 3,
     "free_flow_time", "-2", "a number >= 0"),
    ("NaN value", "link", "2,3,4,1.5,100,2", "2,3,4,1.5,100,NaN", "link.csv", 3,
     "free_flow_time", "NaN", "a number"),
    ("infinite value", "node", "4,1,1,", "4,inf,1,", "node.csv", 5, "x_coord", "inf",
     "a finite number"),
    ("empty required value", "link", "2,3,4,1.5,100", "2,3,4,1.5,", "link.csv", 3, "capacity",
     "", "a value (field is required)"),
    ("bad boolean", "node", "1,0,0,1,false", "1,0,0,1,maybe", "node.csv", 2,
     "through_traffic", "maybe", "true or false"),
    ("self loop", "link", "2,3,4,", "2,3,3,", "link.csv", 3, "to_node_id", "3",
     "a node other than from_node_id"),
    ("wrong field count", "link", "2,3,4,1.5,100,2,30,2", "2,3,4,1.5,100,2,30", "link.csv", 3,
     "field count", "2,3,4,1.5,100,2,30", "8 fields as in the header line, found 7"),
    ("duplicate column name", "link", ",lanes\n", ",capacity\n", "link.csv", 1, "capacity",
     "capacity", "each column name once"),
    ("empty column name", "node", ",node_type\n", ",\n", "node.csv", 1, "column 6", "",
     "a column name"),
    ("unterminated quote", "node", "4,1,1,,true,\n", '4,1,1,,true,"open\n', "node.csv", 5,
     "quoting", None, "is a closing quote missing?"),
    ("free_flow_time underivable", "link", ",free_flow_time,free_speed,", ",ff,speed,",
     "link.csv", None, "free_flow_time", None, "a column named 'free_flow_time'"),
    ("empty demand", "demand", "1,2,all,10\n2,1,all,20\n", "", "demand.csv", None, "volume",
     "total 0", "at least one positive demand volume"),
    ("unknown zone in demand", "demand", "2,1,all", "3,1,all", "demand.csv", 3, "origin", "3",
     "a zone id of the network"),
    ("negative volume", "demand", "1,2,all,10", "1,2,all,-10", "demand.csv", 2, "volume",
     "-10", "a number >= 0"),
    ("non-numeric volume", "demand", "1,2,all,10", "1,2,all,ten", "demand.csv", 2, "volume",
     "ten", "a number"),
    ("demand column missing", "demand", ",volume\n", ",vol\n", "demand.csv", None, "volume",
     None, "a column named 'volume'"),
    ("repeated demand row", "demand", "2,1,all,20", "1,2,all,20", "demand.csv", 3,
     "origin/destination", None, "one row per origin, destination and class"),
]


@pytest.mark.parametrize("case", BROKEN, ids=[c[0] for c in BROKEN])
def test_broken_input(tmp_path: Path, case: tuple) -> None:
    _, which, old, new, file, line, field, value, expected = case
    texts = {"node": NODE_CSV, "link": LINK_CSV, "demand": DEMAND_CSV}
    texts[which] = edit(texts[which], old, new)
    folder = make_folder(tmp_path, texts["node"], texts["link"], texts["demand"])
    expect_problem(lambda: read_gmns(folder), file=file, line=line, field=field, value=value,
                   expected=expected)


def test_zero_free_speed_when_deriving_time(tmp_path: Path) -> None:
    link = edit(LINK_CSV.replace(",free_flow_time", "").replace(",100,2,", ",100,"),
                "2,3,4,1.5,100,30", "2,3,4,1.5,100,0")
    folder = make_folder(tmp_path, link=link)
    expect_problem(lambda: read_gmns(folder), file="link.csv", line=3, field="free_speed",
                   value="0", expected="a positive number (free_flow_time is derived")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "x", node=None)
    expect_problem(lambda: read_gmns(folder), file="node.csv", line=None, field=None,
                   value=None, expected="no such file")
    expect_problem(lambda: read_gmns(tmp_path / "nowhere"), file="nowhere", line=None,
                   field=None, value=None, expected="no such folder")
    expect_problem(lambda: read_gmns(folder / "link.csv"), file="link.csv", line=None,
                   field=None, value=None, expected="this is a file")


def test_link_file_is_a_folder(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, link=None)
    (folder / "link.csv").mkdir()
    expect_problem(lambda: read_gmns(folder), file="link.csv", line=None, field=None,
                   value=None, expected="this path is a folder")


def test_empty_file(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, node="")
    expect_problem(lambda: read_gmns(folder), file="node.csv", line=None, field="header",
                   value=None, expected="a header line naming the columns")


def test_latin1_file(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    node = NODE_CSV.replace("node_type\n", "name\n").replace("centroid", "Z\u00fcrich")
    (folder / "node.csv").write_bytes(node.encode("latin-1"))
    expect_problem(lambda: read_gmns(folder), file="node.csv", line=2, field="encoding",
                   value="byte 0xfc", expected="re-save the file as UTF-8")


def test_utf16_file(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "link.csv").write_bytes(LINK_CSV.encode("utf-16"))
    expect_problem(lambda: read_gmns(folder), file="link.csv", line=1, field="encoding",
                   value="UTF-16 byte-order mark", expected="UTF-8")


def test_every_problem_of_both_files_at_once(tmp_path: Path) -> None:
    node = edit(NODE_CSV, "4,1,1,", "4,x,1,")
    link = edit(edit(LINK_CSV, "2,3,4,1.5,100", "2,3,4,1.5,-1"), "4,2,1,1.5", "4,2,1,abc")
    with pytest.raises(InputError) as info:
        read_gmns(make_folder(tmp_path, node=node, link=link))
    found = {(Path(p.source).name, p.row, p.field) for p in info.value.problems}
    assert found == {("node.csv", 5, "x_coord"), ("link.csv", 3, "capacity"),
                     ("link.csv", 5, "length")}


def test_demand_against_network(tmp_path: Path) -> None:
    network, _ = read_gmns(make_folder(tmp_path))
    demand = read_gmns_demand(tmp_path / "demand.csv", network=network)
    assert demand.table["volume"].tolist() == [10.0, 20.0]
    assert np.array_equal(demand.table["origin"].to_numpy(), [1, 2])
