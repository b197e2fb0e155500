"""Edit operations on elements.

Add, modify and remove nodes, links, crossings and commodities; switch planned elements
on; apply projects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from steppe.scenario.edits import (
    TABLES,
    _check_keys,
    _check_value,
    _number,
    _numeric_column,
    _select,
    _Work,
    cell,
)


def _set_fields(w: _Work, kind: str, mask: pd.Series, changes: Any, key: str) -> None:
    if not isinstance(changes, dict):
        w.fail(key, changes, "a table of field = value")
        return
    for column, value in changes.items():
        if column == TABLES[kind][1]:
            w.fail(f"{key}.{column}", value, "not the id (remove and add instead)")
        elif _check_value(w, kind, column, value, f"{key}.{column}"):
            w.table(kind).loc[mask, column] = cell(value)


def _scale_fields(w: _Work, kind: str, mask: pd.Series, factors: Any, key: str) -> None:
    if not isinstance(factors, dict):
        w.fail(key, factors, "a table of field = factor")
        return
    table = w.table(kind)
    for column, factor in factors.items():
        if column not in table.columns or not _numeric_column(table, column):
            w.fail(f"{key}.{column}", column, f"a numeric field of {kind}")
        elif _number(factor) is None or float(factor) < 0:
            w.fail(f"{key}.{column}", factor, "a factor >= 0")
        else:
            old = pd.to_numeric(table.loc[mask, column], errors="coerce")
            table.loc[mask, column] = [cell(float(v) * float(factor)) if pd.notna(v) else None
                                       for v in old]


def _modify(kind: str) -> Callable[[_Work, Mapping[str, Any]], None]:
    def apply(w: _Work, f: Mapping[str, Any]) -> None:
        if not _check_keys(w, f, (), ("ids", "where", "set", "scale")):
            return
        mask = _select(w, kind, f)
        if mask is None:
            return
        if "set" not in f and "scale" not in f:
            w.fail("set", None, "set = {...} and/or scale = {...}")
        _set_fields(w, kind, mask, f.get("set", {}), "set")
        _scale_fields(w, kind, mask, f.get("scale", {}), "scale")

    return apply


def _add(kind: str, required: tuple[str, ...]) -> Callable[[_Work, Mapping[str, Any]], None]:
    def apply(w: _Work, f: Mapping[str, Any]) -> None:
        table = w.table(kind)
        optional = tuple(c for c in table.columns if c not in required)
        if not _check_keys(w, f, required, optional):
            return
        id_column = TABLES[kind][1]
        new_id = f[id_column]
        if (str(new_id) if kind == "commodity" else new_id) in set(w.ids(kind).dropna()):
            w.fail(id_column, new_id, f"a new {kind} id (this one exists)")
            return
        if not all(_check_value(w, kind, c, v, c) for c, v in f.items()):
            return
        row = dict.fromkeys(table.columns)
        row.update({c: cell(v) for c, v in f.items()})
        if "status" in table.columns and row.get("status") is None:
            row["status"] = "operating"
        if kind in ("link", "crossing") and row.get("directed") is None:
            row["directed"] = "false"
        _check_ends(w, kind, row)
        w.tables[kind] = pd.concat([table, pd.DataFrame([row])], ignore_index=True)

    return apply


def _check_ends(w: _Work, kind: str, row: dict[str, Any]) -> None:
    ends = {"link": ("from_node_id", "to_node_id"), "crossing": ("node_a", "node_b")}.get(kind)
    if not ends:
        return
    nodes = set(w.ids("node").dropna())
    for column in ends:
        if _number(row[column]) not in nodes:
            w.fail(column, row[column], "the id of an existing node")


def _remove(kind: str) -> Callable[[_Work, Mapping[str, Any]], None]:
    def apply(w: _Work, f: Mapping[str, Any]) -> None:
        if not _check_keys(w, f, (), ("ids", "where")):
            return
        mask = _select(w, kind, f)
        if mask is None:
            return
        removed = set(w.ids(kind)[mask])
        w.tables[kind] = w.table(kind)[~mask]
        if kind == "node":
            _cascade_node(w, removed)
        if kind in ("link", "crossing"):
            w.switched_on -= {(kind, int(i)) for i in removed}

    return apply


def _cascade_node(w: _Work, nodes: set[Any]) -> None:
    """Removing a place removes its links, crossings and demand."""
    for kind, columns in (
        ("link", ("from_node_id", "to_node_id")),
        ("crossing", ("node_a", "node_b")),
        ("demand", ("origin_zone", "destination_zone")),
    ):
        table = w.table(kind)
        touches = np.zeros(len(table), dtype=bool)
        for column in columns:
            touches |= pd.to_numeric(table[column], errors="coerce").isin(nodes).to_numpy()
        w.tables[kind] = table[~touches]


def _switch_on(w: _Work, f: Mapping[str, Any]) -> None:
    if not _check_keys(w, f, (), ("links", "crossings")):
        return
    for key, kind in (("links", "link"), ("crossings", "crossing")):
        wanted = f.get(key, [])
        ids = set(w.ids(kind).dropna())
        unknown = [i for i in wanted if i not in ids]
        if unknown:
            w.fail(key, unknown, f"ids of {kind}s in the base")
            continue
        status = w.table(kind).set_index(w.ids(kind))["status"]
        for i in wanted:
            if status.get(i) == "closed":
                w.fail(key, i, f"a {kind} that is not closed")
            w.switched_on.add((kind, int(i)))


def _apply_project(w: _Work, f: Mapping[str, Any]) -> None:
    if not _check_keys(w, f, ("projects",), ()):
        return
    projects = w.model.projects
    known = set(projects["project_id"]) if "project_id" in projects else set()
    for pid in f["projects"]:
        if pid not in known:
            w.fail("projects", pid, f"a project id of projects.csv ({', '.join(sorted(known))})")
            continue
        for row in projects[projects["project_id"] == pid].to_dict("records"):
            kind, column = str(row["table"]), str(row["field"])
            table = w.table(kind)
            mask = w.ids(kind) == int(row["element_id"])
            if column not in table.columns or not mask.any():
                w.fail("projects", pid, f"{kind} {row['element_id']} with field {column}")
                continue
            table.loc[mask, column] = row["new_value"]
