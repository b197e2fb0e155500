"""Scenario files (TOML): a base model, a year, assignment settings and an ordered list of edits.

A scenario file looks like::

    [scenario]
    name = "pos2"
    description = "Power of Siberia 2 through Mongolia"
    base = "eurasia"          # or a corridor folder, relative to this file
    year = 2030
    gap = 1e-5                # target relative gap; also: algorithm, max_iter

    [parameters]              # named numbers; "$name" in an edit uses one (sweeps vary them)
    transit_fee_usd_per_bcm = 20e6

    [[edit]]
    op = "switch_on"
    links = [157, 158]
    crossings = [27, 28]

Every edit is checked before anything runs (see :mod:`steppe.scenario.edits`); problems are
reported together, each naming the file, line and field.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from steppe import __version__
from steppe.errors import InputError
from steppe.model.validation import Problem

SCENARIO_KEYS = (
    "name", "description", "base", "year", "algorithm", "gap", "max_iter", "route_choice",
    "sources",
)
ROUTE_CHOICES = ("model", "deterministic")
TOP_KEYS = ("scenario", "parameters", "edit", "report")
PARAMETER = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")


class ScenarioError(InputError):
    """A scenario file or edit is invalid; ``problems`` name file, line and field."""


@dataclass(frozen=True)
class Edit:
    """One edit of a scenario: an operation name and its fields, as written.

    Attributes
    ----------
    op
        Operation name (see :data:`steppe.scenario.operations.OPERATIONS`).
    fields
        The edit's other keys, with ``$parameter`` references still unresolved.
    index
        Position in the scenario (1-based).
    line
        Line of the ``[[edit]]`` header in the file (``None`` when not from a file).
    """

    op: str
    fields: Mapping[str, Any]
    index: int
    line: int | None = None


@dataclass(frozen=True)
class Scenario:
    """A scenario: base, year, assignment settings, parameters and edits.

    Treat it as immutable (its mappings are plain dicts so that it pickles to workers).

    Attributes
    ----------
    name, description
        Labels (not part of the content hash).
    base
        ``"eurasia"`` or the path of a corridor model folder.
    year
        Network year (elements opened by then are in service); ``None`` keeps the base's.
    algorithm, gap, max_iter
        Assignment settings (relative gap is dimensionless).
    route_choice
        ``"model"``: each commodity's logit dispersion as the model gives it (stochastic
        equilibrium when any is set); ``"deterministic"``: user equilibrium for all.
    parameters
        Named numbers used by edits as ``"$name"``.
    edits
        Ordered edits.
    report
        Extra report settings (e.g. ``route_options``).
    source
        File the scenario was read from, or a preset name.
    """

    name: str
    base: str = "eurasia"
    year: int | None = None
    description: str = ""
    algorithm: str = "bfw"
    gap: float = 1e-5
    max_iter: int = 20_000
    route_choice: str = "model"
    parameters: Mapping[str, float] = field(default_factory=dict)
    edits: tuple[Edit, ...] = ()
    report: Mapping[str, Any] = field(default_factory=dict)
    source: str = "<memory>"
    sources: tuple[str, ...] = ()

    def with_parameters(self, values: Mapping[str, float]) -> Scenario:
        """A copy with some parameters set (unknown names raise :class:`ScenarioError`)."""
        unknown = sorted(set(values) - set(self.parameters))
        if unknown:
            raise ScenarioError(
                f"{self.source}: unknown parameter(s) {', '.join(unknown)}; "
                f"the scenario defines: {', '.join(sorted(self.parameters)) or 'none'}"
            )
        merged = {**self.parameters, **{k: float(v) for k, v in values.items()}}
        return replace(self, parameters=merged)

    def resolved_edits(self) -> list[tuple[Edit, dict[str, Any]]]:
        """Edits with every ``$parameter`` replaced by its value."""
        return [(e, _resolve(dict(e.fields), self.parameters)) for e in self.edits]

    def content(self) -> dict[str, Any]:
        """Plain data that defines the scenario's results (labels excluded)."""
        return {
            "base": self.base,
            "year": self.year,
            "algorithm": self.algorithm,
            "gap": self.gap,
            "max_iter": self.max_iter,
            "route_choice": self.route_choice,
            "parameters": dict(sorted(self.parameters.items())),
            "edits": [{"op": e.op, **fields} for e, fields in self.resolved_edits()],
            "report": _plain(self.report),
        }

    def content_hash(self, input_checksums: Mapping[str, str] | None = None) -> str:
        """SHA-256 of the content, the input files' checksums and the steppe version."""
        payload = {
            "scenario": self.content(),
            "inputs": dict(sorted((input_checksums or {}).items())),
            "steppe": __version__,
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _resolve(value: Any, parameters: Mapping[str, float]) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, parameters) for v in value]
    if isinstance(value, str):
        match = PARAMETER.match(value)
        if match and match.group(1) in parameters:
            return parameters[match.group(1)]
    return value


class _Lines:
    """Finds the line of a key in a TOML text (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.edit_headers = [
            i + 1 for i, line in enumerate(self.lines) if line.strip().startswith("[[edit]]")
        ]

    def table(self, name: str) -> int | None:
        for i, line in enumerate(self.lines):
            if line.strip() == f"[{name}]":
                return i + 1
        return None

    def key(self, key: str, start: int | None) -> int | None:
        """First line at or after ``start`` that assigns ``key`` (before the next table)."""
        first = start or 1
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=|[{{,]\s*{re.escape(key)}\s*=")
        for i in range(first - 1, len(self.lines)):
            text = self.lines[i]
            if i >= first and text.strip().startswith("["):
                break
            if pattern.search(text):
                return i + 1
        return start


def _problem(
    source: str, line: int | None, where: str | None, value: Any, expected: str
) -> Problem:
    shown = None if value is None else str(value)
    return Problem(source=source, row=line, field=where, value=shown, expected=expected)


def parse_scenario(text: str, *, source: str = "<memory>", folder: Path | None = None) -> Scenario:
    """Parse scenario TOML text.

    Parameters
    ----------
    text
        TOML text.
    source
        File name (or preset name) for error messages.
    folder
        Folder that a relative ``base`` path is taken from.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Invalid TOML, unknown keys, wrong types; edits are checked by
        :func:`steppe.scenario.edits.validate_scenario`.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: invalid TOML: {exc}") from None
    return scenario_from_data(data, source=source, folder=folder, text=text)


def scenario_from_data(
    data: Mapping[str, Any], *, source: str = "<memory>", folder: Path | None = None,
    text: str = "",
) -> Scenario:
    """A scenario from the tables of a scenario file, already parsed (e.g. from JSON).

    Parameters
    ----------
    data
        The top-level tables: ``scenario``, ``parameters``, ``edit`` (a list), ``report``.
    source
        Name for error messages.
    folder
        Folder that a relative ``base`` path is taken from.
    text
        The TOML text the data came from, if any (for line numbers in errors).

    Raises
    ------
    ScenarioError
        Unknown keys, wrong types (every problem at once).
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: a scenario is a table of tables, got {type(data).__name__}")
    lines = _Lines(text)
    problems: list[Problem] = []
    for key in data:
        if key not in TOP_KEYS:
            problems.append(
                _problem(source, lines.table(key) or lines.key(key, 1), key, None,
                         f"one of the top-level tables {', '.join(TOP_KEYS)}")
            )
    head = data.get("scenario", {})
    head_line = lines.table("scenario")
    if not isinstance(head, dict) or "name" not in head:
        problems.append(_problem(source, head_line, "scenario.name", None, "a [scenario] name"))
        head = head if isinstance(head, dict) else {}
    for key in head:
        if key not in SCENARIO_KEYS:
            problems.append(
                _problem(source, lines.key(key, head_line), f"scenario.{key}", head[key],
                         f"one of {', '.join(SCENARIO_KEYS)}")
            )
    if not isinstance(data.get("report", {}), Mapping):
        problems.append(_problem(source, lines.table("report"), "report", data["report"],
                                 "a [report] table"))
    if not isinstance(head.get("sources", []), list):
        problems.append(_problem(source, lines.key("sources", head_line), "scenario.sources",
                                 head["sources"], "a list of source ids"))
    parameters = _parameters(data.get("parameters", {}), source, lines, problems)
    edits = _edits(data.get("edit", []), source, lines, problems)
    settings = _settings(head, source, lines, head_line, problems)
    if problems:
        raise ScenarioError(f"scenario {source} is invalid", problems)
    base = str(head.get("base", "eurasia"))
    if base != "eurasia" and folder is not None and not Path(base).is_absolute():
        base = str((folder / base).resolve())
    return Scenario(
        name=str(head["name"]),
        description=str(head.get("description", "")),
        base=base,
        parameters=parameters,
        edits=tuple(edits),
        report=dict(data.get("report", {})),
        source=source,
        sources=tuple(str(s) for s in head.get("sources", [])),
        **settings,
    )


def _settings(
    head: dict[str, Any], source: str, lines: _Lines, line: int | None, problems: list[Problem]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    checks = {
        "year": (int, lambda v: 1900 <= v <= 2100, "a year between 1900 and 2100"),
        "gap": (float, lambda v: 0 < v < 1, "a relative gap between 0 and 1"),
        "max_iter": (int, lambda v: v >= 1, "an integer >= 1"),
        "algorithm": (str, lambda v: v in ("msa", "fw", "cfw", "bfw", "b"), "msa|fw|cfw|bfw|b"),
        "route_choice": (str, lambda v: v in ROUTE_CHOICES, " | ".join(ROUTE_CHOICES)),
    }
    for key, (kind, ok, expected) in checks.items():
        if key not in head:
            continue
        value = head[key]
        good = isinstance(value, int | float) and not isinstance(value, bool)
        if kind is str:
            good = isinstance(value, str)
        elif kind is int:
            good = isinstance(value, int) and not isinstance(value, bool)
        if not good or not ok(value):  # type: ignore[no-untyped-call]
            problems.append(
                _problem(source, lines.key(key, line), f"scenario.{key}", value, expected)
            )
        else:
            out[key] = kind(value)
    return out


def _parameters(
    table: Any, source: str, lines: _Lines, problems: list[Problem]
) -> dict[str, float]:
    line = lines.table("parameters")
    if not isinstance(table, dict):
        problems.append(_problem(source, line, "parameters", table, "a table of numbers"))
        return {}
    out = {}
    for key, value in table.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(float(value)):
            problems.append(
                _problem(source, lines.key(key, line), f"parameters.{key}", value, "a number")
            )
        else:
            out[key] = float(value)
    return out


def _edits(table: Any, source: str, lines: _Lines, problems: list[Problem]) -> list[Edit]:
    if not isinstance(table, list):
        problems.append(_problem(source, None, "edit", table, "an array of [[edit]] tables"))
        return []
    edits = []
    for i, item in enumerate(table, start=1):
        line = lines.edit_headers[i - 1] if i - 1 < len(lines.edit_headers) else None
        if not isinstance(item, dict) or not isinstance(item.get("op"), str):
            problems.append(_problem(source, line, f"edit {i}.op", None, "an operation name"))
            continue
        fields = {k: v for k, v in item.items() if k != "op"}
        edits.append(Edit(op=item["op"], fields=fields, index=i, line=line))
    return edits


def scenario_from_content(content: Mapping[str, Any], *, name: str) -> Scenario:
    """The scenario whose :meth:`Scenario.content` is ``content`` (e.g. from the store).

    Parameters
    ----------
    content
        A stored scenario content: base, year, settings, parameters, resolved edits, report.
    name
        Label of the scenario.

    Returns
    -------
    Scenario
        A scenario with the same content (and so the same content hash on the same inputs).
    """
    settings = ("base", "year", "algorithm", "gap", "max_iter", "route_choice")
    head = {"name": name, **{k: content[k] for k in settings if content.get(k) is not None}}
    data = {"scenario": head, "parameters": dict(content.get("parameters") or {}),
            "edit": [dict(e) for e in content.get("edits") or []],
            "report": dict(content.get("report") or {})}
    return scenario_from_data(data, source=f"<stored {name}>")


def key_line(scenario: Scenario, edit: Edit, key: str) -> int | None:
    """Line of ``key`` inside an edit (the edit's header line when not found)."""
    path = Path(scenario.source)
    if edit.line is None or not path.is_file():
        return edit.line
    return _Lines(path.read_text(encoding="utf-8")).key(key.split(".")[0], edit.line)


def preset_names() -> list[str]:
    """Names of the presets shipped with steppe."""
    folder = files("steppe.scenario") / "presets"
    names = (p.name for p in folder.iterdir())
    return sorted(n.removesuffix(".toml") for n in names if n.endswith(".toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a preset by name or a scenario TOML file by path.

    Raises
    ------
    ScenarioError
        Unknown preset or missing file, or an invalid scenario.
    """
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(f"scenario file {path} does not exist")
        scenario = parse_scenario(
            path.read_text(encoding="utf-8"), source=str(path), folder=path.parent
        )
    elif text_name in preset_names():
        resource = files("steppe.scenario") / "presets" / f"{text_name}.toml"
        scenario = parse_scenario(resource.read_text(encoding="utf-8"), source=str(resource))
    else:
        raise ScenarioError(
            f"unknown scenario {text_name!r}: not a file, and not a preset "
            f"({', '.join(preset_names())})"
        )
    from steppe.scenario.edits import validate_scenario

    validate_scenario(scenario)
    return scenario
