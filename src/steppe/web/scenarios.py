"""Presets the server offers and scenarios clients post: parsed like files, never reading files.

A client names a preset (built in, or one of the operator's ``--scenarios`` folder) and may
post a scenario as TOML text or as the same tables in JSON. Its ``base`` must be
``"eurasia"`` or a preset's name (meaning that preset's base model); a path is refused, as
is any edit operation outside :data:`POSTED_OPERATIONS`, so a client cannot make the server
read or write a file it names.
"""

from __future__ import annotations

import copy
import re
import threading
import tomllib
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeGuard

from steppe.errors import InputError
from steppe.scenario.spec import Scenario, ScenarioError, preset_names, scenario_from_data
from steppe.web.errors import ApiError
from steppe.web.settings import Settings

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
"""What a preset name, run reference or job id may look like (no slashes, no dots first)."""

POSTED_OPERATIONS = frozenset({
    "add_node", "modify_node", "remove_node", "add_link", "modify_link", "remove_link",
    "add_crossing", "modify_crossing", "remove_crossing", "add_commodity", "switch_on",
    "apply_project", "set_border", "close_border", "tariff", "scale_demand", "add_demand",
    "set_parameter", "transit_fee",
})
"""Edit operations a posted scenario may use: each acts on tables in memory only."""

REPORT_KEYS = frozenset({"route_options"})


@dataclass(frozen=True)
class Preset:
    """A scenario the server offers by name.

    Attributes
    ----------
    name
        Name clients use.
    data
        The scenario's tables as parsed from its TOML (``base`` still as written).
    scenario
        The parsed scenario (``base`` resolved to ``"eurasia"`` or an absolute folder).
    origin
        ``"builtin"`` or ``"server"`` (the operator's folder).
    """

    name: str
    data: dict[str, Any]
    scenario: Scenario
    origin: str


class Presets:
    """The presets: steppe's own and the operator's folder, loaded once on first use."""

    def __init__(self, scenario_dir: Path | None) -> None:
        self._dir = scenario_dir
        self._lock = threading.Lock()
        self._loaded: dict[str, Preset] | None = None

    def _load(self) -> dict[str, Preset]:
        with self._lock:
            if self._loaded is None:
                found: dict[str, Preset] = {}
                folder = files("steppe.scenario") / "presets"
                for name in preset_names():
                    text = (folder / f"{name}.toml").read_text(encoding="utf-8")
                    found[name] = _preset(name, text, None, "builtin")
                if self._dir is not None:
                    for path in sorted(Path(self._dir).glob("*.toml")):
                        if NAME.match(path.stem):
                            found[path.stem] = _preset(
                                path.stem, path.read_text(encoding="utf-8"), path.parent,
                                "server")
                self._loaded = found
            return self._loaded

    def names(self) -> list[str]:
        """Preset names, sorted."""
        return sorted(self._load())

    def get(self, name: str) -> Preset:
        """A preset by name; unknown names raise a 404 :class:`ApiError`."""
        presets = self._load()
        if name not in presets:
            raise ApiError(404, "unknown_preset",
                           f"unknown preset {name!r}; the presets are: "
                           + ", ".join(sorted(presets)))
        return presets[name]


def _preset(name: str, text: str, folder: Path | None, origin: str) -> Preset:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"preset {name}: invalid TOML: {exc}") from None
    scenario = scenario_from_data(data, source=f"preset {name}", folder=folder, text=text)
    return Preset(name=name, data=data, scenario=scenario, origin=origin)


def _check_shape(data: Any, settings: Settings) -> None:
    """Refuse what a posted scenario may not contain, before the spec parser sees it."""
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_scenario",
                       "a scenario is an object of tables: scenario, parameters, edit, report")
    edits = data.get("edit", [])
    if isinstance(edits, list):
        if len(edits) > settings.max_edits:
            raise ApiError(413, "too_many_edits",
                           f"the scenario has {len(edits)} edits; the limit is "
                           f"{settings.max_edits}")
        for i, edit in enumerate(edits, start=1):
            op = edit.get("op") if isinstance(edit, dict) else None
            if isinstance(op, str) and op not in POSTED_OPERATIONS:
                raise ApiError(422, "operation_not_allowed",
                               f"edit {i}: operation {op!r} is not allowed here; one of "
                               + ", ".join(sorted(POSTED_OPERATIONS)))
    report = data.get("report", {})
    if isinstance(report, dict) and set(report) - REPORT_KEYS:
        raise ApiError(422, "report_not_allowed",
                       f"report settings {sorted(set(report) - REPORT_KEYS)} are not allowed; "
                       f"only {', '.join(sorted(REPORT_KEYS))}")
    head = data.get("scenario", {})
    if isinstance(head, dict):
        _check_settings(head, settings)


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_settings(head: dict[str, Any], settings: Settings) -> None:
    gap, max_iter = head.get("gap"), head.get("max_iter")
    if _number(gap) and gap < settings.min_gap:
        raise ApiError(422, "gap_too_small",
                       f"scenario.gap {gap} is below the server's limit {settings.min_gap}")
    if _number(max_iter) and max_iter > settings.max_iter:
        raise ApiError(422, "too_many_iterations",
                       f"scenario.max_iter {max_iter} is above the server's limit "
                       f"{settings.max_iter}")


def _resolve_base(head: dict[str, Any], presets: Presets) -> None:
    base = head.get("base", "eurasia")
    if base == "eurasia":
        return
    if not isinstance(base, str) or not NAME.match(base) or base not in presets.names():
        raise ApiError(400, "base_not_allowed",
                       f"scenario.base {str(base)[:80]!r} is not allowed: use 'eurasia' or a "
                       "preset's name (the server does not read files named by clients)")
    head["base"] = presets.get(base).scenario.base


def posted_scenario(
    data: Any, presets: Presets, settings: Settings, *, text: str = ""
) -> Scenario:
    """Parse and check a posted scenario (the tables of a scenario file, as a dict).

    ``text`` is the TOML it was parsed from, if any (errors then give line numbers).

    Raises
    ------
    ApiError
        A path as base, a disallowed operation, too many edits, limits exceeded.
    steppe.scenario.spec.ScenarioError
        Invalid like a file would be (every problem listed).
    """
    _check_shape(data, settings)
    data = copy.deepcopy(data)
    head = data.get("scenario")
    if isinstance(head, dict):
        _resolve_base(head, presets)
    scenario = scenario_from_data(data, source="<posted>", text=text)
    return _validated(scenario)


def preset_variant(
    preset: Preset, *, edits: list[dict[str, Any]], parameters: dict[str, float],
    name: str | None, presets: Presets, settings: Settings,
) -> Scenario:
    """A preset with extra edits appended and some parameters set."""
    unknown = sorted(set(parameters) - set(preset.scenario.parameters))
    if unknown:
        raise ApiError(422, "unknown_parameter",
                       f"preset {preset.name} has no parameter(s) {', '.join(unknown)}; it has: "
                       + (", ".join(sorted(preset.scenario.parameters)) or "none"))
    data = copy.deepcopy(preset.data)
    head = data.setdefault("scenario", {})
    head["base"] = preset.name if head.get("base", "eurasia") != "eurasia" else "eurasia"
    if name:
        head["name"] = name
    elif edits or parameters:
        head["name"] = f"{preset.name}-variant"
    data["edit"] = [*data.get("edit", []), *edits]
    data["parameters"] = {**data.get("parameters", {}), **parameters}
    if preset.origin == "server":
        # the operator's preset was checked when it was written; only the client's part is
        _check_shape({"edit": edits}, settings)
        head["base"] = preset.scenario.base
        return _validated(scenario_from_data(data, source="<posted>"))
    return posted_scenario(data, presets, settings)


def _validated(scenario: Scenario) -> Scenario:
    from steppe.scenario.edits import validate_scenario

    scenario = replace(scenario, source="<posted>")
    try:
        validate_scenario(scenario)
    except InputError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        # a value the edit checks did not foresee (e.g. a list where a number goes)
        raise ApiError(422, "invalid_scenario",
                       f"the scenario's edits cannot be applied: {exc}") from None
    return scenario
