"""Scenario edits: changes applied, in order, to a corridor model's source tables.

This module holds the working copy the edits act on, the checks they share, and the
functions that apply a scenario's edits; the operations themselves are in
:mod:`steppe.scenario.ops_network` (elements) and :mod:`steppe.scenario.ops_policy`
(borders, tariffs, demand, parameters), registered in :data:`steppe.scenario.operations.OPERATIONS`.

Most edits change the source tables (nodes, links, crossings, tariffs, demand, commodities,
parameters) before the network is built. Two change the built network instead, because
the source tables cannot express them: closing a crossing to some commodities only, and a
transit fee on a commodity crossing a country. Every edit is validated against the base;
all problems are reported together, naming the file, line and field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import pandas as pd

from steppe.model.corridor import MODES, CorridorModel, CorridorParameters, parse_class_name
from steppe.model.corridor.build import CorridorBuild
from steppe.model.validation import Problem
from steppe.scenario.spec import Edit, Scenario, ScenarioError, key_line

TABLES = {
    "node": ("nodes", "node_id"),
    "link": ("links", "link_id"),
    "crossing": ("crossings", "crossing_id"),
    "demand": ("demand", "demand_id"),
    "tariff": ("tariffs", "tariff_id"),
    "commodity": ("commodities", "commodity"),
}
CAPACITY_UNITS = ("trains_per_day", "trucks_per_day", "mt_per_year", "bcm_per_year", "teu_per_year")
STATUSES = ("operating", "under_construction", "planned", "closed")
COST_TYPES = ("per_km", "gauge_change", "per_transfer", "per_transit")
COUNTRY = re.compile(r"^[A-Z]{2}$")
PHYSICAL_MODES = tuple(m for m in MODES if m != "transfer")


@dataclass
class BuildEdit:
    """An edit of the built network: ``kind`` is ``close_commodity`` or ``transit_fee``."""

    kind: str
    payload: dict[str, Any]


@dataclass
class EditedModel:
    """A base model after a scenario's edits, and the edits left for the built network."""

    model: CorridorModel
    build_edits: list[BuildEdit] = field(default_factory=list)


class _Work:
    """Mutable working copy of a model's tables while edits are applied."""

    def __init__(self, model: CorridorModel, scenario: Scenario) -> None:
        self.tables = {
            kind: getattr(model, attr).copy() for kind, (attr, _) in TABLES.items()
        }
        self.switched_on = set(model.switched_on)
        self.parameters = model.parameters
        if scenario.year is not None:
            self.parameters = replace(self.parameters, year=scenario.year)
        self.model = model
        self.scenario = scenario
        self.build_edits: list[BuildEdit] = []
        self.problems: list[Problem] = []
        self.edit: Edit | None = None

    def fail(self, key: str | None, value: Any, expected: str) -> None:
        assert self.edit is not None
        edit = self.edit
        line = key_line(self.scenario, edit, key) if key else edit.line
        where = f"edit {edit.index} ({edit.op})" + (f", {key}" if key else "")
        shown = None if value is None else str(value)
        self.problems.append(Problem(self.scenario.source, line, where, shown, expected))

    def table(self, kind: str) -> pd.DataFrame:
        return self.tables[kind]

    def ids(self, kind: str) -> pd.Series:
        column = TABLES[kind][1]
        table = self.tables[kind]
        if kind == "commodity":
            return table[column].astype(str)
        return pd.to_numeric(table[column], errors="coerce")

    def result(self) -> EditedModel:
        m = self.model
        model = replace(
            m,
            nodes=self.tables["node"].reset_index(drop=True),
            links=self.tables["link"].reset_index(drop=True),
            crossings=self.tables["crossing"].reset_index(drop=True),
            demand=self.tables["demand"].reset_index(drop=True),
            tariffs=self.tables["tariff"].reset_index(drop=True),
            commodities=self.tables["commodity"].reset_index(drop=True),
            switched_on=frozenset(self.switched_on),
            parameters=self.parameters,
            name=self.scenario.name,
        )
        return EditedModel(model, self.build_edits)


def cell(value: Any) -> str | None:
    """A value as the source tables hold it: text (numbers without a needless ``.0``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.12g}"  # drop binary noise such as 10.030999999999999
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _numeric_column(table: pd.DataFrame, column: str) -> bool:
    values = table[column].dropna()
    if values.empty:
        return column.endswith(("_km", "_kmh", "_hours_ab", "_hours_ba", "capacity", "volume"))
    return bool(pd.to_numeric(values, errors="coerce").notna().all())


def _check_keys(w: _Work, fields_: Mapping[str, Any], required: tuple[str, ...],
                optional: tuple[str, ...]) -> bool:
    ok = True
    for key in required:
        if key not in fields_:
            w.fail(key, None, f"field '{key}' (required by {w.edit.op if w.edit else ''})")
            ok = False
    for key in fields_:
        if key not in required and key not in optional:
            w.fail(key, fields_[key], f"one of {', '.join((*required, *optional))}")
            ok = False
    return ok


def _check_value(w: _Work, kind: str, column: str, value: Any, key: str) -> bool:
    """Check a value for a column: type (number), units, status, mode, country."""
    table = w.table(kind)
    if column not in table.columns:
        w.fail(key, column, f"a field of {kind} ({', '.join(table.columns)})")
        return False
    rules: dict[str, tuple[Callable[[Any], bool], str]] = {
        "capacity_unit": (lambda v: v in CAPACITY_UNITS, " | ".join(CAPACITY_UNITS)),
        "status": (lambda v: v in STATUSES, " | ".join(STATUSES)),
        "mode": (lambda v: v in MODES, " | ".join(MODES)),
        "cost_type": (lambda v: v in COST_TYPES, " | ".join(COST_TYPES)),
        "modes": (
            lambda v: all(m in PHYSICAL_MODES for m in str(cell(v)).split(";")),
            "modes from " + ", ".join(PHYSICAL_MODES) + " (list or ';'-separated)",
        ),
    }
    if column in rules:
        ok, expected = rules[column]
        if not ok(value):
            w.fail(key, value, expected)
            return False
        return True
    if column.startswith("country") and not (value == "XX" or COUNTRY.match(str(value))):
        w.fail(key, value, "a two-letter ISO country code")
        return False
    if _numeric_column(table, column) and _number(value) is None:
        w.fail(key, value, f"a number ({kind}.{column} is numeric)")
        return False
    return True


def _select(w: _Work, kind: str, fields_: Mapping[str, Any]) -> pd.Series | None:
    """Rows chosen by ``ids`` and/or ``where`` (all rows when neither is given)."""
    table = w.table(kind)
    mask = pd.Series(True, index=table.index)
    if "ids" in fields_:
        wanted = fields_["ids"] if isinstance(fields_["ids"], list) else [fields_["ids"]]
        present = set(w.ids(kind).dropna())
        unknown = [i for i in wanted if (str(i) if kind == "commodity" else i) not in present]
        if unknown:
            w.fail("ids", unknown, f"ids of existing {kind} rows")
            return None
        keys = [str(i) for i in wanted] if kind == "commodity" else wanted
        mask &= w.ids(kind).isin(keys)
    where = fields_.get("where", {})
    if not isinstance(where, dict):
        w.fail("where", where, "a table of field = value (or list of values)")
        return None
    for column, value in where.items():
        if column not in table.columns:
            w.fail(f"where.{column}", column, f"a field of {kind} ({', '.join(table.columns)})")
            return None
        values = [cell(v) for v in (value if isinstance(value, list) else [value])]
        mask &= table[column].isin(values)
    if "ids" not in fields_ and not where:
        w.fail("ids", None, "ids = [...] or where = {...} to choose rows")
        return None
    if not mask.any():
        w.fail("where", where, f"a filter that matches at least one {kind}")
        return None
    return mask


def apply_edits(model: CorridorModel, scenario: Scenario) -> EditedModel:
    """Apply a scenario's edits to a base model, in order.

    Returns
    -------
    EditedModel
        The edited model and the edits left for the built network.

    Raises
    ------
    ScenarioError
        Every problem found, each with file, line and field.
    """
    from steppe.scenario.operations import OPERATIONS

    w = _Work(model, scenario)
    for edit, resolved in scenario.resolved_edits():
        w.edit = edit
        operation = OPERATIONS.get(edit.op)
        if operation is None:
            w.fail("op", edit.op, f"an operation: {', '.join(OPERATIONS)}")
            continue
        unresolved = _unresolved(resolved)
        if unresolved:
            w.fail(unresolved[0], unresolved[1],
                   f"a defined parameter ({', '.join(scenario.parameters) or 'none defined'})")
            continue
        operation(w, resolved)
    if w.problems:
        raise ScenarioError(f"scenario {scenario.source} has invalid edits", w.problems)
    return w.result()


def _unresolved(fields_: Mapping[str, Any], prefix: str = "") -> tuple[str, str] | None:
    for key, value in fields_.items():
        if isinstance(value, str) and value.startswith("$"):
            return prefix + key, value
        if isinstance(value, dict):
            found = _unresolved(value, f"{prefix}{key}.")
            if found:
                return found
    return None


def validate_scenario(scenario: Scenario) -> None:
    """Check a scenario against its base without running it (raises :class:`ScenarioError`)."""
    from steppe.scenario.execute import load_base

    apply_edits(load_base(scenario.base)[0], scenario)


def apply_build_edits(build: CorridorBuild, edits: list[BuildEdit]) -> CorridorBuild:
    """Apply the edits that act on the built network (commodity closures, transit fees)."""
    if not edits:
        return build
    links = build.network.links.copy()
    for edit in edits:
        if edit.kind == "close_commodity":
            _close_commodity(links, build, edit.payload)
        elif edit.kind == "transit_fee" and edit.payload["route_choice"]:
            for column, mask, fee in transit_fee_terms(links, build, edit.payload):
                links.loc[mask, column] = links.loc[mask, column] + fee
    return replace(build, network=build.network.with_links(links))


def _close_commodity(links: pd.DataFrame, build: CorridorBuild, p: dict[str, Any]) -> None:
    mask = (links["element"] == "crossing") & links["element_id"].isin(p["crossings"])
    if p["modes"] is not None:
        mask &= links["mode"].isin(p["modes"])
    closed = set(build.classes.loc[build.classes["commodity"].isin(p["commodities"]),
                                   "demand_class"])
    for index in links.index[mask]:
        allowed = [c for c in str(links.loc[index, "allowed_uses"]).split(";")
                   if c and c != "-" and c not in closed]
        links.loc[index, "allowed_uses"] = ";".join(allowed) if allowed else "-"


def transit_fee_terms(
    links: pd.DataFrame, build: CorridorBuild, p: dict[str, Any]
) -> list[tuple[str, pd.Series, float]]:
    """(money column, crossing links entering the country, fee per assignment unit) per class.

    A class is in transit through the country when neither its origin nor its destination
    country is that country; the fee is charged where it enters.
    """
    entering = (links["element"] == "crossing") & (links["to_country"] == p["country"])
    if p.get("modes"):
        entering &= links["mode"].isin(p["modes"])
    out = []
    for row in build.classes.itertuples():
        commodity, origin, destination = parse_class_name(str(row.demand_class))
        if commodity != p["commodity"] or p["country"] in (origin, destination):
            continue
        per_unit = float(row.units_per_assignment_unit)
        if p["unit"] == "USD/t":
            per_unit = 1.0 if row.assignment_unit == "t" else math.nan
        out.append((str(row.money_column), entering, p["value"] * per_unit))
    return [t for t in out if math.isfinite(t[2])]


def diff_tables(base: CorridorModel, edited: CorridorModel) -> pd.DataFrame:
    """Differences between a base model and an edited one, cell by cell.

    Returns
    -------
    pandas.DataFrame
        ``table``, ``id``, ``field``, ``base``, ``scenario``; added rows have ``field`` =
        ``"(added)"``, removed rows ``"(removed)"``, switched-on elements ``"(switched on)"``
        and parameters table ``"parameters"``.
    """
    rows: list[dict[str, Any]] = []
    for kind, (attr, id_column) in TABLES.items():
        old = getattr(base, attr).set_index(id_column)
        new = getattr(edited, attr).set_index(id_column)
        for i in new.index.difference(old.index):
            rows.append({"table": kind, "id": i, "field": "(added)", "base": None,
                         "scenario": new.loc[i].get("name", "")})
        for i in old.index.difference(new.index):
            rows.append({"table": kind, "id": i, "field": "(removed)",
                         "base": old.loc[i].get("name", ""), "scenario": None})
        common = old.index.intersection(new.index)
        for column in new.columns.intersection(old.columns):
            a, b = old.loc[common, column], new.loc[common, column]
            changed = ~((a == b) | (a.isna() & b.isna()))
            for i in common[changed.to_numpy()]:
                rows.append({"table": kind, "id": i, "field": column,
                             "base": old.loc[i, column], "scenario": new.loc[i, column]})
    for kind, i in sorted(edited.switched_on - base.switched_on):
        rows.append({"table": kind, "id": i, "field": "(switched on)", "base": None,
                     "scenario": True})
    for f in fields(CorridorParameters):
        a, b = getattr(base.parameters, f.name), getattr(edited.parameters, f.name)
        if a != b:
            rows.append({"table": "parameters", "id": f.name, "field": f.name,
                         "base": a, "scenario": b})
    return pd.DataFrame(rows, columns=["table", "id", "field", "base", "scenario"])
