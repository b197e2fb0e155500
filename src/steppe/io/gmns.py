"""GMNS CSV networks (General Modeling Network Specification) and steppe's demand CSV.

A GMNS folder holds ``node.csv`` and ``link.csv`` (columns named as in steppe's schema,
which follows GMNS: ``node_id``, ``x_coord``, ``link_id``, ``from_node_id``, ``capacity`` …,
plus steppe's ``free_flow_time``, ``alpha`` and ``beta``) and optionally ``demand.csv``
(``origin``, ``destination``, ``demand_class``, ``volume``). Columns the schema does not know
are kept; on reading, each such column gets the narrowest of int64, float64, boolean and
string that holds all its values.

Files are read as text and handed to the schema, so every message shows the raw value; a
CSV line number is the row's first line in the file (the header is line 1).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from steppe.io.tables import fail, read_text, write_table
from steppe.model import Demand, Network
from steppe.model.schema import field_names
from steppe.model.validation import Problem, Problems

PathLike = str | os.PathLike[str]

NODE_FILE = "node.csv"
LINK_FILE = "link.csv"
DEMAND_FILE = "demand.csv"


def read_gmns(folder: PathLike, *, strict: bool = False
              ) -> tuple[Network, Demand | None]:
    """Read a GMNS network folder and its demand, if any.

    Parameters
    ----------
    folder
        Folder with ``node.csv``, ``link.csv`` and optionally ``demand.csv``.
    strict
        Treat recoverable problems (a column name in the wrong case) as errors.

    Returns
    -------
    tuple of (Network, Demand or None)
        The network and the demand, ``None`` when the folder has no ``demand.csv``.

    Raises
    ------
    steppe.errors.InputError
        Listing every problem of a file (file, line, field, value, what was expected).
    """
    root = _folder(folder)
    network = read_gmns_network(root, strict=strict)
    demand_path = root / DEMAND_FILE
    if not demand_path.exists():
        return network, None
    return network, read_gmns_demand(demand_path, network=network, strict=strict)


def read_gmns_network(folder: PathLike, *, strict: bool = False, name: str | None = None
                      ) -> Network:
    """Read ``node.csv`` and ``link.csv`` of a GMNS folder into a :class:`Network`.

    Parameters
    ----------
    folder
        The folder.
    strict
        Treat recoverable problems (a column name in the wrong case) as errors.
    name
        Network name; default: the folder name.

    Returns
    -------
    Network
        Tables with schema dtypes and defaults (see ``docs/data-dictionary.md``). When
        ``link.csv`` has no ``free_flow_time`` but has ``length`` and ``free_speed``, the
        time is derived as length / free_speed (length unit ÷ speed unit, e.g. km ÷ km/h =
        hours) and ``metadata["free_flow_time"]`` says so.

    Raises
    ------
    steppe.errors.InputError
        Listing every problem of both files.
    """
    root = _folder(folder)
    problems = Problems(strict=strict)
    node_path, link_path = root / NODE_FILE, root / LINK_FILE
    nodes, node_rows = _read_csv(node_path, "GMNS node file", "node", problems)
    links, link_rows = _read_csv(link_path, "GMNS link file", "link", problems)
    metadata: dict[str, object] = {"format": "gmns", "folder": str(root)}
    if "free_flow_time" not in links.columns and {"length", "free_speed"} <= set(links.columns):
        links = _derive_free_flow_time(links, link_rows, str(link_path), problems)
        metadata["free_flow_time"] = ("derived as length / free_speed (link.csv has no "
                                      "free_flow_time column); unit: length unit / speed unit")
    network = Network.from_frames(
        nodes, links, name=name or root.resolve().name, metadata=metadata,
        node_source=str(node_path), link_source=str(link_path),
        node_rows=node_rows, link_rows=link_rows, problems=problems,
    )
    return replace(network, nodes=_typed_extras(network.nodes, "node"),
                   links=_typed_extras(network.links, "link"))


def read_gmns_demand(path: PathLike, *, network: Network | None = None, strict: bool = False
                     ) -> Demand:
    """Read steppe's demand CSV.

    Parameters
    ----------
    path
        CSV with ``origin``, ``destination`` (zone ids), optional ``demand_class``
        (default ``"all"``) and ``volume`` (flow units per assignment period).
    network
        When given, every origin and destination must be one of its zones.
    strict
        Treat recoverable problems (a column name in the wrong case) as errors.

    Returns
    -------
    Demand
        Zero volumes removed.

    Raises
    ------
    steppe.errors.InputError
        Listing every problem of the file.
    """
    problems = Problems(strict=strict)
    frame, rows = _read_csv(path, "GMNS demand file", "demand", problems)
    return Demand.from_frame(frame, network=network, source=str(path), row_numbers=rows,
                             problems=problems)


def write_gmns(folder: PathLike, network: Network, demand: Demand | None = None) -> Path:
    """Write a network (and demand) as GMNS CSV files, each one atomically.

    Parameters
    ----------
    folder
        Target folder, created if missing. ``node.csv`` and ``link.csv`` are replaced;
        ``demand.csv`` is written only when ``demand`` is given (an existing one is left
        untouched otherwise).
    network
        Network to write; every column of its tables is written, extra columns included.
    demand
        Demand to write, or ``None``.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    root = Path(folder)
    write_table(network.nodes, root / NODE_FILE)
    write_table(network.links, root / LINK_FILE)
    if demand is not None:
        write_table(demand.table, root / DEMAND_FILE)
    return root


def _folder(folder: PathLike) -> Path:
    root = Path(folder)
    if not root.is_dir():
        expected = "a folder holding node.csv and link.csv"
        fail(Problem(str(root), None, None, None,
                     expected + ("; this is a file" if root.exists() else "; no such folder")),
             "cannot read GMNS folder")
    return root


def _read_csv(path: Path | PathLike, what: str, table: str, problems: Problems
              ) -> tuple[pd.DataFrame, list[int]]:
    """Read a CSV as text columns with the file line number of each row."""
    source = str(path)
    reader = csv.reader(io.StringIO(read_text(path, what=what), newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    previous = 0
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record:
                continue
            if header is None:
                header = _header(record, start, source, table, problems)
            elif len(record) != len(header):
                problems.add(source, start, "field count", ",".join(record)[:80],
                             f"{len(header)} fields as in the header line, found {len(record)}")
            else:
                rows.append(record)
                lines.append(start)
    except csv.Error as exc:
        problems.add(source, previous + 1, "quoting", None,
                     f"well-formed CSV quoting ({exc}); is a closing quote missing?")
    if header is None:
        problems.add(source, None, "header", None, "a header line naming the columns")
        header = []
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    frame = pd.DataFrame({n: pd.Series(c, dtype=object) for n, c in zip(header, columns,
                                                                          strict=True)})
    return frame, lines


def _header(record: list[str], line: int, source: str, table: str, problems: Problems
            ) -> list[str]:
    known = {name.lower(): name for name in field_names(table)}
    names: list[str] = []
    for position, raw in enumerate(record, start=1):
        name = raw.strip()
        if not name:
            problems.add(source, line, f"column {position}", raw, "a column name")
        elif name not in known.values() and name.lower() in known:
            problems.warn(source, line, name, name, f"the column name '{known[name.lower()]}' "
                          "(names are case-sensitive); read as that column")
            name = known[name.lower()]
        if name in names:
            problems.add(source, line, name, name, "each column name once")
            name = f"{name} (column {position})"
        names.append(name or f"(column {position})")
    return names


def _derive_free_flow_time(links: pd.DataFrame, rows: list[int], source: str,
                           problems: Problems) -> pd.DataFrame:
    length = pd.to_numeric(links["length"], errors="coerce").to_numpy(dtype=float)
    speed = pd.to_numeric(links["free_speed"], errors="coerce").to_numpy(dtype=float)
    bad_speed = ~(np.isfinite(speed) & (speed > 0))
    for pos in np.flatnonzero(bad_speed):
        problems.add(source, rows[pos], "free_speed", links["free_speed"].iloc[pos],
                     "a positive number (free_flow_time is derived as length / free_speed)")
    with np.errstate(divide="ignore", invalid="ignore"):
        time = length / speed
    # Rows with a bad length or speed are already reported; 0 keeps them out of the schema's
    # messages so each bad value is reported once.
    time[bad_speed | ~np.isfinite(time)] = 0.0
    out = links.copy()
    out["free_flow_time"] = time
    return out


def _typed_extras(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    known = set(field_names(table))
    extras = [c for c in frame.columns if c not in known]
    if not extras:
        return frame
    out = frame.copy()
    for column in extras:
        out[column] = _narrowest(out[column])
    return out


def _narrowest(values: pd.Series) -> pd.Series:
    """Return the values as the narrowest of int64, float64, boolean and string."""
    if not pd.api.types.is_object_dtype(values) and not pd.api.types.is_string_dtype(values):
        return values
    text = values.astype("string").str.strip()
    empty = (text == "").fillna(True)
    if empty.all():
        return pd.Series(pd.NA, index=values.index, dtype="string")
    numbers = pd.to_numeric(text.where(~empty), errors="coerce")
    if (numbers.notna() | empty).all():
        whole = text.str.fullmatch(r"[+-]?\d+").fillna(False)
        return numbers.astype("int64" if whole.all() else "float64")
    lowered = text.str.lower()
    if (lowered.isin(["true", "false"]) | empty).all():
        return (lowered == "true").astype("boolean").mask(empty)
    return text.mask(empty)
