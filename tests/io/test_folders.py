"""Case folders (format detection, read_case) and result tables (write_table)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from steppe.errors import InputError
from steppe.io import detect_format, read_case, write_gmns, write_table
from steppe.io.tables import atomic_write
from steppe.io.tntp import CostWeights

NET = """<NUMBER OF ZONES> 2
<NUMBER OF NODES> 3
<FIRST THRU NODE> 1
<NUMBER OF LINKS> 3
<END OF METADATA>
1 3 10 1 1 0.15 4 0 0 1 ;
3 2 10 1 1 0.15 4 0 0 1 ;
2 1 10 1 1 0.15 4 0 0 1 ;
"""
TRIPS = "<NUMBER OF ZONES> 2\n<TOTAL OD FLOW> 5\n<END OF METADATA>\nOrigin 1\n2 : 5;\n"


def tntp_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "toy_net.tntp").write_text(NET, encoding="utf-8")
    (folder / "toy_trips.tntp").write_text(TRIPS, encoding="utf-8")
    return folder


# ----------------------------------------------------------------------------- detection


def test_detects_tntp_and_gmns(tmp_path: Path) -> None:
    tntp = tntp_folder(tmp_path / "tntp")
    assert detect_format(tntp) == "tntp"
    network, demand, _ = read_case(tntp)
    gmns = write_gmns(tmp_path / "gmns", network, demand)
    assert detect_format(gmns) == "gmns"


def test_read_case_tntp_extra(tmp_path: Path) -> None:
    network, demand, extra = read_case(tntp_folder(tmp_path / "Toy"))
    assert extra["format"] == "tntp"
    assert extra["name"] == "Toy"
    assert extra["best_flows"] is None
    assert extra["readme_weights"] == CostWeights()
    assert extra["best_known_objective"] is None
    assert (network.n_links, demand.total()) == (3, 5.0)


def test_read_case_gmns_round_trip(tmp_path: Path) -> None:
    network, demand, _ = read_case(tntp_folder(tmp_path / "tntp"))
    write_gmns(tmp_path / "g", network, demand)
    back, back_demand, extra = read_case(tmp_path / "g")
    assert extra == {"format": "gmns", "name": "g"}
    assert_frame_equal(back.links, network.links)
    assert_frame_equal(back_demand.table, demand.table)


def test_read_case_reference_tntp(tntp_dir: Path) -> None:
    folder = tntp_dir / "SiouxFalls"
    if not folder.is_dir():
        pytest.skip(f"TNTP case not found at {folder}")
    network, _, extra = read_case(folder)
    assert network.n_links == 76
    assert extra["best_flows"] is not None


def test_neither_format_lists_what_was_looked_for(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "node.csv").write_text("node_id\n1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_case(tmp_path)
    message = str(info.value)
    for part in ("*_net.tntp", "node.csv and link.csv", "notes.txt", str(tmp_path)):
        assert part in message


def test_both_formats_is_ambiguous(tmp_path: Path) -> None:
    network, demand, _ = read_case(tntp_folder(tmp_path))
    write_gmns(tmp_path, network, demand)
    with pytest.raises(InputError, match="both formats"):
        detect_format(tmp_path)


def test_path_is_a_file_or_missing(tmp_path: Path) -> None:
    path = tntp_folder(tmp_path) / "toy_net.tntp"
    with pytest.raises(InputError, match="this is a file"):
        read_case(path)
    with pytest.raises(InputError, match="no such folder"):
        read_case(tmp_path / "missing")


def test_gmns_case_needs_demand(tmp_path: Path) -> None:
    network, _, _ = read_case(tntp_folder(tmp_path / "t"))
    write_gmns(tmp_path / "g", network)
    with pytest.raises(InputError, match=r"demand\.csv.*a demand file"):
        read_case(tmp_path / "g")


def test_strict_is_passed_on(tmp_path: Path) -> None:
    folder = tntp_folder(tmp_path)
    text = NET.replace("LINKS> 3", "LINKS> 4") + "1 3 20 1 1 0.15 4 0 0 1 ;\n"
    (folder / "toy_net.tntp").write_text(text, encoding="utf-8")
    with pytest.warns(UserWarning, match="duplicate"):
        read_case(folder)
    with pytest.raises(InputError, match="line 6 has the same nodes"):
        read_case(folder, strict=True)


# ----------------------------------------------------------------------------- tables


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({
        "link_id": [1, 2],
        "flow": [0.1 + 0.2, 1e-300],
        "name": pd.array(["a, \"b\"", None], dtype="string"),
        "ok": pd.array([True, None], dtype="boolean"),
    })


def test_write_csv(tmp_path: Path, table: pd.DataFrame) -> None:
    path = write_table(table, tmp_path / "out" / "flows.csv")
    back = pd.read_csv(path)
    assert back["flow"].tolist() == table["flow"].tolist()  # full precision
    assert back["name"].tolist()[0] == 'a, "b"'


def test_write_parquet_keeps_dtypes(tmp_path: Path, table: pd.DataFrame) -> None:
    path = write_table(table, tmp_path / "flows.PARQUET")
    assert_frame_equal(pd.read_parquet(path), table)


def test_write_table_rejects_unknown_extension(tmp_path: Path, table: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"flows\.xlsx, field 'extension': got '\.xlsx'"):
        write_table(table, tmp_path / "flows.xlsx")
    assert not any(tmp_path.iterdir())


def test_write_replaces_and_leaves_no_temporary_files(tmp_path: Path,
                                                      table: pd.DataFrame) -> None:
    path = tmp_path / "flows.csv"
    write_table(table, path)
    write_table(table.head(1), path)
    assert len(pd.read_csv(path)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["flows.csv"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "flows.csv"
    path.write_text("old\n", encoding="utf-8")

    def half_then_crash(handle) -> None:
        handle.write("new,half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        atomic_write(path, half_then_crash, text=True)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["flows.csv"]


def test_written_file_has_ordinary_permissions(tmp_path: Path, table: pd.DataFrame) -> None:
    path = write_table(table, tmp_path / "flows.csv")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
