"""Readers for the TNTP format (Transportation Networks for Research, Bar-Gera et al.).

A TNTP case is a folder with ``<name>_net.tntp`` (links), ``<name>_trips.tntp`` (demand) and
optionally ``<name>_node.tntp`` (coordinates), ``<name>_flow.tntp`` (best-known link flows)
and a ``README.md``. Network and trips files start with metadata lines ``<KEY> value`` ended
by ``<END OF METADATA>``; ``~`` starts a comment; fields are separated by tabs or spaces and a
line may end in ``;``. Nodes are numbered 1..<NUMBER OF NODES>; zones are nodes
1..<NUMBER OF ZONES>; nodes below <FIRST THRU NODE> may not carry through traffic.

Every reader collects all problems of a file (file, line, field, value, what was expected)
and raises one :class:`~steppe.errors.InputError`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from steppe.errors import InputError
from steppe.io.tables import fail, raise_problems, read_text
from steppe.model import Demand, Network
from steppe.model.schema import Field, table_schema
from steppe.model.validation import Problem, Problems

PathLike = str | os.PathLike[str]

NET_FIELDS: tuple[str, ...] = (
    "init_node", "term_node", "capacity", "length", "free_flow_time",
    "b", "power", "speed", "toll", "link_type",
)  # fmt: skip
"""Columns of a TNTP network file, in order."""

# TNTP name -> schema name; messages show both so a user finds the column in either.
_SCHEMA_NAMES = {"init_node": "from_node_id", "term_node": "to_node_id", "b": "alpha",
                 "power": "beta"}
_LABELS = {schema: f"{tntp} ({schema})" for tntp, schema in _SCHEMA_NAMES.items()}
_META = re.compile(r"<([^>]*)>(.*)")
_WHOLE = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


# --------------------------------------------------------------------------- file layout


@dataclass(frozen=True)
class _TntpText:
    """A TNTP file: metadata ``KEY -> (value, line)`` and numbered non-comment lines."""

    source: str
    meta: Mapping[str, tuple[str, int]]
    lines: list[tuple[int, str]]


def _split(path: PathLike, what: str, problems: Problems, *, metadata: bool) -> _TntpText:
    raw = read_text(path, what=what).splitlines()
    source = str(path)
    meta: dict[str, tuple[str, int]] = {}
    start = _read_metadata(raw, source, meta, problems) if metadata else 0
    lines = []
    for number, line in enumerate(raw[start:], start=start + 1):
        cut = line.find("~")
        content = (line if cut < 0 else line[:cut]).strip()
        if content:
            lines.append((number, content))
    return _TntpText(source, meta, lines)


def _read_metadata(
    raw: list[str], source: str, meta: dict[str, tuple[str, int]], problems: Problems
) -> int:
    """Fill ``meta``; return the index of the first line after the metadata."""
    for index, line in enumerate(raw):
        text = line.strip()
        if not text or text.startswith("~"):
            continue
        match = _META.match(text)
        if match is None:
            problems.add(source, index + 1, "<END OF METADATA>", text[:60],
                         "a line '<END OF METADATA>' between the metadata and the first data line")
            return index
        key, value = " ".join(match[1].split()).upper(), match[2].strip()
        if key == "END OF METADATA":
            return index + 1
        if key in meta:
            problems.add(source, index + 1, f"<{key}>", value,
                         f"each metadata key once (first given on line {meta[key][1]})")
        else:
            meta[key] = (value, index + 1)
    problems.add(source, len(raw) or None, "<END OF METADATA>", None,
                 "a line '<END OF METADATA>' after the metadata; the file ended before it")
    return len(raw)


def _meta_int(text: _TntpText, key: str, problems: Problems, *, required: bool = True
              ) -> int | None:
    if key not in text.meta:
        if required:
            problems.add(text.source, None, f"<{key}>", None,
                         f"a metadata line '<{key}> <whole number>' before <END OF METADATA>")
        return None
    value, line = text.meta[key]
    if _WHOLE.fullmatch(value) is None or int(value) < 1:
        problems.add(text.source, line, f"<{key}>", value, "a whole number >= 1")
        return None
    return int(value)


def _meta_float(text: _TntpText, key: str, problems: Problems) -> float | None:
    if key not in text.meta:
        problems.add(text.source, None, f"<{key}>", None,
                     f"a metadata line '<{key}> <number>' before <END OF METADATA>")
        return None
    value, line = text.meta[key]
    number = float(value) if _NUMBER.fullmatch(value) else math.nan
    if not math.isfinite(number) or number < 0:
        problems.add(text.source, line, f"<{key}>", value, "a finite number >= 0")
        return None
    return number


def _tokens(content: str) -> list[str]:
    return content.removesuffix(";").split()


def _rows(text: _TntpText, fields: tuple[str, ...], problems: Problems
          ) -> tuple[dict[str, list[str]], list[int]]:
    """Split data lines into columns; lines with the wrong field count become problems."""
    rows, numbers = [], []
    for number, content in text.lines:
        tokens = _tokens(content)
        if len(tokens) == len(fields):
            rows.append(tokens)
            numbers.append(number)
        else:
            problems.add(text.source, number, "field count", content,
                         f"{len(fields)} fields ({' '.join(fields)}), found {len(tokens)}")
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in fields]
    return dict(zip(fields, columns, strict=True)), numbers


def _numbers(tokens: list[str], rows: list[int], field: str, source: str, problems: Problems,
             *, whole: bool = False, minimum: float | None = None) -> np.ndarray:
    """Convert a column to float64, recording every bad value; bad values become NaN."""
    try:
        values = np.array(tokens, dtype=np.float64)
        not_number = np.zeros(len(tokens), dtype=bool)
    except ValueError:  # slow path only for broken files: find which tokens are bad
        parsed = [_to_float(t) for t in tokens]
        not_number = np.array([v is None for v in parsed], dtype=bool)
        values = np.array([math.nan if v is None else v for v in parsed], dtype=np.float64)
    checks = [(not_number, "a number"), (~np.isfinite(values) & ~not_number, "a finite number")]
    if whole:
        checks.append((np.isfinite(values) & (values != np.round(values)), "a whole number"))
    if minimum is not None:
        checks.append((values < minimum, f"a number >= {minimum:g}"))
    for mask, expected in checks:
        for pos in np.flatnonzero(mask):
            problems.add(source, rows[pos], field, tokens[pos], expected)
        values[mask] = np.nan
    return values


def _to_float(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        return None


def _ids(tokens: list[str]) -> np.ndarray:
    """Parse node/zone ids leniently (bad ones are NaN and reported by the schema)."""
    values = _floats(tokens)
    if values is None:
        numbers = pd.to_numeric(pd.Series(tokens, dtype=object), errors="coerce")
        values = numbers.to_numpy(dtype=float, copy=True)
    values[values != np.round(values)] = np.nan
    return values


def _floats(tokens: list[str]) -> np.ndarray | None:
    """Fast path: every token a finite number, or ``None``."""
    try:
        values = np.array(tokens, dtype=np.float64)
    except ValueError:
        return None
    return values if np.isfinite(values).all() else None


def _column(tokens: list[str], table: str, name: str) -> np.ndarray | pd.Series:
    """Numbers when every token is a number the schema accepts, else the texts.

    The schema reports a bad value with its raw text (``'0'``, not ``0.0``), so the texts
    are passed on whenever some token is not a plain number that meets the field's rules.
    """
    values = _floats(tokens)
    spec = next(f for f in table_schema(table) if f.name == name)
    if values is None or not _acceptable(values, spec):
        return pd.Series(tokens, dtype=object)
    return values


def _acceptable(values: np.ndarray, spec: Field) -> bool:
    if spec.is_integer and (values != np.round(values)).any():
        return False
    if spec.constraint == "positive":
        return bool((values > 0).all())
    if spec.constraint == "non_negative":
        return bool((values >= 0).all())
    return True


def _check_range(ids: np.ndarray, tokens: list[str], rows: list[int], field: str,
                 upper: int, bound: str, source: str, problems: Problems) -> None:
    what = "zone id" if "ZONES" in bound else "node id"
    for pos in np.flatnonzero((ids < 1) | (ids > upper)):
        problems.add(source, rows[pos], field, tokens[pos], f"a {what} in 1..{upper} ({bound})")


# --------------------------------------------------------------------------- network


def read_tntp_network(net_path: PathLike, *, node_path: PathLike | None = None,
                      strict: bool = False, name: str | None = None) -> Network:
    """Read a TNTP network file (and optionally its node file) into a :class:`Network`.

    Parameters
    ----------
    net_path
        ``*_net.tntp`` file. Columns: init_node, term_node, capacity (flow units per hour,
        usually vehicles/h), length (miles, feet … as the case's README says),
        free_flow_time (minutes for most cases), b (BPR alpha), power (BPR beta), speed,
        toll (money units), link_type.
    node_path
        ``*_node.tntp`` file with a header ``node X Y ;`` and one line per node
        (coordinates in the case's unit). Without it, coordinates are empty.
    strict
        Treat recoverable problems (duplicate links, nodes missing from the node file,
        missing ``<FIRST THRU NODE>``) as errors instead of :class:`~steppe.model.DataWarning`.
    name
        Network name; default: the file name without ``_net.tntp``.

    Returns
    -------
    Network
        Links with ``link_id`` = position of the link line in the file (1-based), TNTP
        ``b`` as ``alpha``, ``power`` as ``beta`` and ``speed`` kept as an extra column.
        Every node 1..<NUMBER OF NODES>; zone ``z`` is node ``z``. Of duplicate links
        (same from and to node) the first is kept. ``metadata`` holds the TNTP sizes,
        ``first_thru_node``, ``duplicate_links_dropped``, source paths and
        ``format = "tntp"``.

    Raises
    ------
    steppe.errors.InputError
        Listing every problem of the files (file, line, field, value, what was expected).
    """
    problems = Problems(strict=strict)
    text = _split(net_path, "TNTP network file", problems, metadata=True)
    sizes = _net_sizes(text, problems)
    columns, rows = _rows(text, NET_FIELDS, problems)
    links, link_rows = _link_frame(columns, rows, sizes, text, problems)
    coords = None
    if node_path is not None:
        coords = _read_node_file(node_path, sizes.get("nodes"), problems)
    if sizes.get("nodes") is None or sizes.get("zones") is None:
        problems.raise_if_any(f"TNTP network file {text.source}")
    name = name or _case_name(Path(net_path), "_net.tntp")
    metadata = {"format": "tntp", "number_of_zones": sizes["zones"],
                "number_of_nodes": sizes["nodes"], "number_of_links": sizes.get("links"),
                "first_thru_node": sizes.get("first_thru", 1),
                "duplicate_links_dropped": len(rows) - len(link_rows), "net_path": text.source,
                "node_path": None if node_path is None else str(node_path)}
    nodes = _node_frame(sizes, coords)
    try:
        return Network.from_frames(
            nodes, links, name=name, metadata=metadata, link_source=text.source,
            node_source=str(node_path or text.source), link_rows=link_rows, problems=problems,
        )
    except InputError as exc:
        errors = [_tntp_field(p, text.source) for p in exc.problems]
    raise_problems(errors, f"TNTP network '{name}'")


def _tntp_field(problem: Problem, source: str) -> Problem:
    if problem.source == source and problem.field in _LABELS:
        return replace(problem, field=_LABELS[problem.field])
    return problem


def _net_sizes(text: _TntpText, problems: Problems) -> dict[str, int]:
    sizes = {
        "zones": _meta_int(text, "NUMBER OF ZONES", problems),
        "nodes": _meta_int(text, "NUMBER OF NODES", problems),
        "links": _meta_int(text, "NUMBER OF LINKS", problems),
        "first_thru": _meta_int(text, "FIRST THRU NODE", problems, required=False),
    }
    if "FIRST THRU NODE" not in text.meta:
        problems.warn(text.source, None, "<FIRST THRU NODE>", None,
                      "a metadata line '<FIRST THRU NODE> n'; assuming 1 (all nodes are thru)")
        sizes["first_thru"] = 1
    zones, nodes, first = sizes["zones"], sizes["nodes"], sizes["first_thru"]
    if zones is not None and nodes is not None and zones > nodes:
        problems.add(text.source, text.meta["NUMBER OF ZONES"][1], "<NUMBER OF ZONES>", zones,
                     f"at most <NUMBER OF NODES> = {nodes} (zones are nodes 1..zones)")
    if zones is not None and first is not None and first > zones + 1:
        problems.add(text.source, text.meta["FIRST THRU NODE"][1], "<FIRST THRU NODE>", first,
                     f"a node id in 1..{zones + 1} (nodes below it must be zones)")
    return {k: v for k, v in sizes.items() if v is not None}


def _link_frame(columns: dict[str, list[str]], rows: list[int], sizes: dict[str, int],
                text: _TntpText, problems: Problems) -> tuple[pd.DataFrame, list[int]]:
    source = text.source
    if not text.lines:
        problems.add(source, None, "links", None, "at least one link line after the metadata")
    elif "links" in sizes and len(text.lines) != sizes["links"]:
        problems.add(source, text.meta["NUMBER OF LINKS"][1], "<NUMBER OF LINKS>",
                     sizes["links"], f"the number of link lines, {len(text.lines)}")
    ends = {f: _ids(columns[f]) for f in ("init_node", "term_node")}
    if "nodes" in sizes:
        for field, ids in ends.items():
            _check_range(ids, columns[field], rows, _LABELS[_SCHEMA_NAMES[field]], sizes["nodes"],
                         "<NUMBER OF NODES>", source, problems)
    keep = _first_links(ends["init_node"], ends["term_node"], rows, source, problems)
    speed = _numbers(columns["speed"], rows, "speed", source, problems)
    frame = pd.DataFrame({"link_id": np.arange(1, len(rows) + 1, dtype=np.int64)})
    for field in NET_FIELDS:
        if field != "speed":
            name = _SCHEMA_NAMES.get(field, field)
            frame[name] = _column(columns[field], "link", name)
    frame["speed"] = speed
    return frame[keep].reset_index(drop=True), [r for r, k in zip(rows, keep, strict=True) if k]


def _first_links(tails: np.ndarray, heads: np.ndarray, rows: list[int], source: str,
                 problems: Problems) -> np.ndarray:
    """Mask keeping the first of links with the same end nodes; report the others."""
    keep = np.ones(len(rows), dtype=bool)
    first: dict[tuple[float, float], int] = {}
    for pos, pair in enumerate(zip(tails.tolist(), heads.tolist(), strict=True)):
        if math.isnan(pair[0]) or math.isnan(pair[1]):
            continue
        seen = first.setdefault(pair, pos)
        if seen != pos:
            keep[pos] = problems.strict
            nodes = f"{int(pair[0])} -> {int(pair[1])}"
            problems.warn(source, rows[pos], "init_node/term_node", nodes,
                          f"one link from node {int(pair[0])} to node {int(pair[1])}, but line "
                          f"{rows[seen]} has the same nodes; the first link is kept and this "
                          "duplicate dropped")
    return keep


def _node_frame(sizes: dict[str, int], coords: tuple[np.ndarray, np.ndarray] | None
                ) -> pd.DataFrame:
    n, zones, first = sizes["nodes"], sizes["zones"], sizes.get("first_thru", 1)
    ids = np.arange(1, n + 1, dtype=np.int64)
    x, y = coords if coords is not None else (np.full(n, np.nan), np.full(n, np.nan))
    return pd.DataFrame({
        "node_id": ids,
        "x_coord": x,
        "y_coord": y,
        "zone_id": np.where(ids <= zones, ids, np.nan),
        "through_traffic": ~((ids < first) & (ids <= zones)),
    })


def _read_node_file(path: PathLike, n_nodes: int | None, problems: Problems
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    text = _split(path, "TNTP node file", problems, metadata=False)
    source, lines = text.source, text.lines
    if lines and [t.lower() for t in _tokens(lines[0][1])] == ["node", "x", "y"]:
        text = replace(text, lines=lines[1:])
    elif lines:
        problems.add(source, lines[0][0], "header", lines[0][1], "a header line 'node X Y ;'")
    if not text.lines:
        problems.add(source, None, "nodes", None, "a header 'node X Y ;' and one line per node")
        return None
    columns, rows = _rows(text, ("node", "X", "Y"), problems)
    ids = _numbers(columns["node"], rows, "node", source, problems, whole=True)
    x = _numbers(columns["X"], rows, "X", source, problems)
    y = _numbers(columns["Y"], rows, "Y", source, problems)
    if n_nodes is None:
        return None
    _check_range(ids, columns["node"], rows, "node", n_nodes, "<NUMBER OF NODES>",
                 source, problems)
    ids[(ids < 1) | (ids > n_nodes)] = np.nan
    return _place_coordinates(ids, x, y, rows, n_nodes, source, problems)


def _place_coordinates(ids: np.ndarray, x: np.ndarray, y: np.ndarray, rows: list[int],
                       n_nodes: int, source: str, problems: Problems
                       ) -> tuple[np.ndarray, np.ndarray]:
    out_x, out_y = np.full(n_nodes, np.nan), np.full(n_nodes, np.nan)
    line_of: dict[int, int] = {}
    for pos in np.flatnonzero(~np.isnan(ids)):
        node = int(ids[pos])
        if node in line_of:
            problems.add(source, rows[pos], "node", node,
                         f"each node once (node {node} is also on line {line_of[node]})")
            continue
        line_of[node] = rows[pos]
        out_x[node - 1], out_y[node - 1] = x[pos], y[pos]
    missing = [n for n in range(1, n_nodes + 1) if n not in line_of]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
        problems.warn(source, None, "node", f"{len(missing)} node(s) missing: {shown}",
                      f"a line for every node 1..{n_nodes}; missing nodes get no coordinates")
    return out_x, out_y


def _case_name(path: Path, suffix: str) -> str:
    if path.name.lower().endswith(suffix):
        return path.name[: -len(suffix)]
    return path.stem


# --------------------------------------------------------------------------- demand


def read_tntp_demand(trips_path: PathLike, *, network: Network | None = None) -> Demand:
    """Read a TNTP trips file into :class:`Demand` (one class, ``"all"``).

    Parameters
    ----------
    trips_path
        ``*_trips.tntp`` file: metadata ``<NUMBER OF ZONES>`` and ``<TOTAL OD FLOW>``, then
        blocks ``Origin o`` followed by entries ``d : volume;`` (volume in flow units per
        assignment period, usually vehicles/h).
    network
        When given, every origin and destination must be one of its zones and the file's
        number of zones must match the network's.

    Returns
    -------
    Demand
        One row per non-zero entry (intrazonal entries are kept as given).

    Raises
    ------
    steppe.errors.InputError
        Listing every problem, including a ``<TOTAL OD FLOW>`` that differs from the sum of
        the entries by more than a relative 1e-6.
    """
    problems = Problems()
    text = _split(trips_path, "TNTP trips file", problems, metadata=True)
    zones = _meta_int(text, "NUMBER OF ZONES", problems)
    total = _meta_float(text, "TOTAL OD FLOW", problems)
    if network is not None and zones is not None and zones != len(network.zones):
        problems.add(text.source, text.meta["NUMBER OF ZONES"][1], "<NUMBER OF ZONES>", zones,
                     f"the number of zones of network '{network.name}', {len(network.zones)}")
    origins, columns, rows = _trip_entries(text, zones, problems)
    destinations = _ids(columns["destination"])
    if zones is not None:
        _check_range(destinations, columns["destination"], rows, "destination", zones,
                     "<NUMBER OF ZONES>", text.source, problems)
    _check_repeats(origins, destinations, columns["destination"], rows, text.source, problems)
    volumes = _column(columns["volume"], "demand", "volume")
    if total is not None and not problems.errors and isinstance(volumes, np.ndarray):
        # Only on an otherwise clean file: a bad entry would make the mismatch an echo.
        _check_total(float(volumes.sum()), total, text, problems)
    frame = pd.DataFrame({"origin": np.asarray(origins, dtype=np.int64),
                          "destination": _column(columns["destination"], "demand", "destination"),
                          "demand_class": "all", "volume": volumes})
    return Demand.from_frame(frame, network=network, source=text.source, row_numbers=rows,
                             problems=problems)


def _check_repeats(origins: list[int], destinations: np.ndarray, tokens: list[str],
                   rows: list[int], source: str, problems: Problems) -> None:
    pairs = pd.DataFrame({"origin": origins, "destination": destinations})
    repeated = pairs.duplicated(keep=False).to_numpy() & ~np.isnan(destinations)
    first: dict[tuple[int, float], int] = {}
    for pos in np.flatnonzero(repeated):
        key = (origins[pos], destinations[pos])
        if key not in first:
            first[key] = rows[pos]
            continue
        problems.add(source, rows[pos], "destination", tokens[pos],
                     f"each destination once per origin (origin {origins[pos]} lists "
                     f"destination {tokens[pos]} also on line {first[key]})")


def _check_total(found: float, declared: float, text: _TntpText, problems: Problems) -> None:
    if not math.isclose(found, declared, rel_tol=1e-6, abs_tol=0.0):
        problems.add(text.source, text.meta["TOTAL OD FLOW"][1], "<TOTAL OD FLOW>",
                     text.meta["TOTAL OD FLOW"][0],
                     f"the sum of the entries, {found:.10g} (relative tolerance 1e-6)")


_ORIGIN = re.compile(r"origin\s+([+-]?\d+)", re.IGNORECASE)


def _trip_entries(text: _TntpText, zones: int | None, problems: Problems
                  ) -> tuple[list[int], dict[str, list[str]], list[int]]:
    """Origins, destination and volume texts and line numbers of every entry."""
    origins: list[int] = []
    dests: list[str] = []
    volumes: list[str] = []
    rows: list[int] = []
    origin: int | None = None
    seen: dict[int, int] = {}
    orphans = False
    for number, content in text.lines:
        if content[:6].lower() == "origin":
            origin = _origin(content, number, zones, seen, text.source, problems)
            orphans = orphans or origin is None
            continue
        if not seen and not orphans:
            orphans = True
            problems.add(text.source, number, "Origin", content[:60],
                         "an 'Origin <zone id>' line before the first entries")
        if origin is None:
            continue
        tokens = content.replace(":", " : ").replace(";", " ").split()
        if tokens[1::3] == [":"] * (len(tokens) // 3) and len(tokens) % 3 == 0:
            dests.extend(tokens[0::3])
            volumes.extend(tokens[2::3])
        else:  # slow path only for broken lines: find the bad entries
            _entries_slowly(content, number, text.source, problems, dests, volumes)
        added = len(dests) - len(rows)
        origins.extend([origin] * added)
        rows.extend([number] * added)
    if not rows and not problems.errors:
        problems.add(text.source, None, "entries", None,
                     "at least one 'Origin <zone id>' block with 'destination : volume;' entries")
    return origins, {"destination": dests, "volume": volumes}, rows


def _entries_slowly(content: str, number: int, source: str, problems: Problems,
                    dests: list[str], volumes: list[str]) -> None:
    for part in content.split(";"):
        dest, colon, volume = part.partition(":")
        if colon:
            dests.append(dest.strip())
            volumes.append(volume.strip())
        elif part.strip():
            problems.add(source, number, "destination : volume", part.strip(),
                         "entries 'destination : volume;'")


def _origin(content: str, number: int, zones: int | None, seen: dict[int, int], source: str,
            problems: Problems) -> int | None:
    match = _ORIGIN.fullmatch(content)
    if match is None:
        problems.add(source, number, "Origin", content, "a line 'Origin <zone id>'")
        return None
    origin = int(match[1])
    if zones is not None and not 1 <= origin <= zones:
        problems.add(source, number, "origin", origin,
                     f"a zone id in 1..{zones} (<NUMBER OF ZONES>)")
        return None
    if origin in seen:
        problems.add(source, number, "origin", origin,
                     f"each origin once (Origin {origin} is also on line {seen[origin]})")
        return None
    seen[origin] = number
    return origin


# --------------------------------------------------------------------------- flows


FLOW_FIELDS: tuple[str, ...] = ("From", "To", "Volume", "Cost")
"""Columns of a TNTP flow file, in order."""


def read_tntp_flows(flow_path: PathLike, network: Network) -> pd.DataFrame:
    """Read best-known link flows (a TNTP ``*_flow.tntp`` file) aligned to a network's links.

    Parameters
    ----------
    flow_path
        File with a header ``From To Volume Cost`` and one line per link.
    network
        The network the flows belong to. Lines are matched to links by (from, to) node;
        parallel links are matched in file order.

    Returns
    -------
    pandas.DataFrame
        One row per network link, in the network's link order: ``link_id``,
        ``from_node_id``, ``to_node_id``, ``flow`` (flow units per assignment period) and
        ``cost`` (link travel time at that flow, network time unit).

    Raises
    ------
    steppe.errors.InputError
        Listing every problem, including flow lines for links the network does not have and
        network links with no flow line.
    """
    problems = Problems()
    text = _split(flow_path, "TNTP flow file", problems, metadata=False)
    source = text.source
    if text.lines and [t.lower() for t in _tokens(text.lines[0][1])] == ["from", "to", "volume",
                                                                            "cost"]:
        text = replace(text, lines=text.lines[1:])
    elif text.lines:
        problems.add(source, text.lines[0][0], "header", text.lines[0][1],
                     "a header line 'From To Volume Cost'")
    if not text.lines:
        problems.add(source, None, "flows", None,
                     "a header and one 'from to volume cost' line per link")
    columns, rows = _rows(text, FLOW_FIELDS, problems)
    flows = pd.DataFrame({
        "from_node_id": _numbers(columns["From"], rows, "From", source, problems, whole=True),
        "to_node_id": _numbers(columns["To"], rows, "To", source, problems, whole=True),
        "flow": _numbers(columns["Volume"], rows, "Volume", source, problems, minimum=0),
        "cost": _numbers(columns["Cost"], rows, "Cost", source, problems, minimum=0),
        "line": np.asarray(rows, dtype=np.int64),
    })
    flows = flows.dropna(subset=["from_node_id", "to_node_id"])
    aligned = _align(flows, network, source, problems)
    problems.raise_if_any(f"TNTP flow file {source}")
    return aligned


def _align(flows: pd.DataFrame, network: Network, source: str, problems: Problems
           ) -> pd.DataFrame:
    key = ["from_node_id", "to_node_id", "nth"]
    links = network.links[["link_id", "from_node_id", "to_node_id"]].copy()
    links["nth"] = links.groupby(key[:2]).cumcount()
    flows = flows.astype({"from_node_id": "int64", "to_node_id": "int64"})
    flows["nth"] = flows.groupby(key[:2]).cumcount()
    matched = links.merge(flows, on=key, how="left")
    for row in matched[matched["line"].isna()].itertuples():
        problems.add(source, f"link_id {row.link_id}", "From/To",
                     f"{row.from_node_id} {row.to_node_id}",
                     "a flow line for every network link; this link has none")
    extra = flows.merge(links[key], on=key, how="left", indicator=True)
    for row in extra[extra["_merge"] == "left_only"].itertuples():
        problems.add(source, int(row.line), "From/To", f"{row.from_node_id} {row.to_node_id}",
                     f"a link of network '{network.name}' (no unmatched link has these nodes)")
    return matched[["link_id", "from_node_id", "to_node_id", "flow", "cost"]]


# --------------------------------------------------------------------------- folder


@dataclass(frozen=True)
class CostWeights:
    """Generalized-cost weights stated in a TNTP README (``## Generalized Cost Weights``).

    Attributes
    ----------
    toll
        Time per money unit added for tolls (e.g. 0.02 minutes/cent), or ``None``.
    distance
        Time per length unit added for distance (e.g. 0.04 minutes/mile), or ``None``.
    toll_unit, distance_unit
        Unit text that followed the number (``"minutes/cent"``), or ``None``.
    """

    toll: float | None = None
    distance: float | None = None
    toll_unit: str | None = None
    distance_unit: str | None = None


@dataclass(frozen=True)
class TntpCase:
    """A TNTP case read from its folder.

    Attributes
    ----------
    name
        Folder name (``"SiouxFalls"``).
    network
        The network (with node coordinates when the folder has a node file).
    demand
        The trips.
    best_flows
        Best-known link flows from ``*_flow.tntp`` (see :func:`read_tntp_flows`), or ``None``.
    readme_weights
        Generalized-cost weights from the README; fields ``None`` where absent or blank.
    best_known_objective
        "Optimal objective function value" as the README states it, or ``None``: the
        Beckmann objective (network time unit × flow unit; generalized with the README
        weights for Chicago-Sketch). Figures are not always in the same scale: SiouxFalls'
        README gives 42.313…, which is its objective 4 231 335.287… divided by 1e5.
    """

    name: str
    network: Network
    demand: Demand
    best_flows: pd.DataFrame | None
    readme_weights: CostWeights
    best_known_objective: float | None


def read_tntp_folder(folder: PathLike, *, strict: bool = False) -> TntpCase:
    """Read a TNTP case folder.

    Parameters
    ----------
    folder
        Folder holding exactly one ``*_net.tntp`` and one ``*_trips.tntp`` (names compared
        case-insensitively), at most one ``*_node.tntp`` and ``*_flow.tntp``, and optionally
        ``README.md``.
    strict
        Passed to :func:`read_tntp_network`.

    Returns
    -------
    TntpCase

    Raises
    ------
    steppe.errors.InputError
        If the folder does not hold the expected files, or any file has problems.
    """
    root = Path(folder)
    if not root.is_dir():
        fail(Problem(str(root), None, None, None, "a folder holding a TNTP case"),
             "cannot read TNTP folder")
    files = sorted(p for p in root.iterdir() if p.is_file())
    problems = Problems()
    found = {kind: _pick(files, kind, root, problems, required=kind in ("net", "trips"))
             for kind in ("net", "trips", "node", "flow")}
    net, trips = found["net"], found["trips"]
    if net is None or trips is None or problems.errors:
        raise_problems(problems.errors, f"TNTP folder {root}")
    name = root.resolve().name
    network = read_tntp_network(net, node_path=found["node"], strict=strict, name=name)
    demand = read_tntp_demand(trips, network=network)
    flows = None if found["flow"] is None else read_tntp_flows(found["flow"], network)
    readme = next((p for p in files if p.name.lower() == "readme.md"), None)
    notes = "" if readme is None else read_text(readme, what="TNTP README")
    return TntpCase(name, network, demand, flows, parse_cost_weights(notes),
                    parse_best_known_objective(notes))


def _pick(files: list[Path], kind: str, root: Path, problems: Problems, *, required: bool
          ) -> Path | None:
    suffix = f"_{kind}.tntp"
    matches = [p for p in files if p.name.lower().endswith(suffix)]
    if len(matches) == 1:
        return matches[0]
    if matches or required:
        listing = ", ".join(p.name for p in matches) or "none; files: " + (
            ", ".join(p.name for p in files[:20]) or "none")
        problems.add(str(root), None, f"*{suffix}", listing,
                     f"exactly one file named *{suffix}" if required else
                     f"at most one file named *{suffix}")
    return None


_SECTION = re.compile(r"^##\s*generalized cost weights\s*$(.*?)(?=^#|\Z)",
                      re.IGNORECASE | re.MULTILINE | re.DOTALL)
_WEIGHT = re.compile(r"^\s*(toll|distance)\s*:(.*)$", re.IGNORECASE | re.MULTILINE)
_OBJECTIVE = re.compile(r"optimal objective function value\s*:?\s*(" + _NUMBER.pattern + ")",
                        re.IGNORECASE)


def parse_cost_weights(readme: str) -> CostWeights:
    """Parse the ``## Generalized Cost Weights`` section of a TNTP README.

    Parameters
    ----------
    readme
        README text (Markdown).

    Returns
    -------
    CostWeights
        ``Toll: 0.02 minutes/cent`` gives ``toll=0.02, toll_unit="minutes/cent"``; a blank
        or non-numeric value gives ``None``.
    """
    section = _SECTION.search(readme)
    values: dict[str, float | str | None] = {}
    for match in _WEIGHT.finditer(section[1] if section else ""):
        kind, rest = match[1].lower(), match[2].strip()
        number = _NUMBER.match(rest)
        if number is not None:
            values[kind] = float(number[0])
            values[f"{kind}_unit"] = rest[number.end():].strip() or None
    return CostWeights(**values)  # type: ignore[arg-type]


def parse_best_known_objective(readme: str) -> float | None:
    """Parse "Optimal objective function value: …" from a TNTP README, or ``None``."""
    match = _OBJECTIVE.search(readme)
    return None if match is None else float(match[1])
