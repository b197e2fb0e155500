"""The registry of scenario edit operations, by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from steppe.scenario.edits import _Work
from steppe.scenario.ops_network import (
    _add,
    _apply_project,
    _modify,
    _remove,
    _switch_on,
)
from steppe.scenario.ops_policy import (
    _add_demand,
    _close_border,
    _scale_demand,
    _set_border,
    _set_parameter,
    _tariff,
    _transit_fee,
)

OPERATIONS: dict[str, Callable[[_Work, Mapping[str, Any]], None]] = {
    "add_node": _add("node", ("node_id", "name", "country", "x_coord", "y_coord")),
    "modify_node": _modify("node"),
    "remove_node": _remove("node"),
    "add_link": _add("link", ("link_id", "from_node_id", "to_node_id", "mode", "country",
                              "length_km")),
    "modify_link": _modify("link"),
    "remove_link": _remove("link"),
    "add_crossing": _add("crossing", ("crossing_id", "name", "node_a", "node_b", "country_a",
                                      "country_b", "modes")),
    "modify_crossing": _modify("crossing"),
    "remove_crossing": _remove("crossing"),
    "add_commodity": _add("commodity", ("commodity", "unit", "allowed_modes")),
    "switch_on": _switch_on,
    "apply_project": _apply_project,
    "set_border": _set_border,
    "close_border": _close_border,
    "tariff": _tariff,
    "scale_demand": _scale_demand,
    "add_demand": _add_demand,
    "set_parameter": _set_parameter,
    "transit_fee": _transit_fee,
}
"""Edit operations by name (see ``docs/scenarios.md`` for each one's fields)."""
