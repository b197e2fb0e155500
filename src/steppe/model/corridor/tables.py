"""The source tables of a corridor model and the parameters that turn them into a network."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

MODES: tuple[str, ...] = ("rail", "road", "gas_pipeline", "oil_pipeline", "sea", "transfer")
"""Transport modes of corridor links."""

LAYERS: dict[str, int] = {
    "centroid": 0,
    "rail_1520": 1,
    "rail_1435": 2,
    "road": 3,
    "gas_pipeline": 4,
    "oil_pipeline": 5,
    "sea": 6,
}
"""Network layers; an assignment node id is ``place_id * 10 + LAYERS[layer]``."""

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "node": ("node_id", "name", "country", "x_coord", "y_coord"),
    "link": ("link_id", "from_node_id", "to_node_id", "mode", "country", "length_km", "status"),
    "crossing": (
        "crossing_id",
        "name",
        "node_a",
        "node_b",
        "country_a",
        "country_b",
        "modes",
        "status",
    ),
    "commodity": ("commodity", "unit", "allowed_modes"),
    "tariff": ("mode", "country", "commodity", "cost_type", "value", "unit"),
    "demand": ("origin_zone", "destination_zone", "commodity", "volume"),
}
"""Columns each source table must have."""


@dataclass(frozen=True)
class CorridorParameters:
    """Modelling parameters that are not facts about one element.

    Each default is documented in ``docs/model.md`` with its basis; the built-in data may
    override them.

    Attributes
    ----------
    year
        Network year: operating elements opened by then; planned elements only when
        switched on.
    train_payload_t
        Net tonnes per train, to turn capacities in trains/day into tonnes/year
        (888 t: Xi'an China–Europe trains 2022, the basis of eurasia assumption A046).
    truck_payload_t
        Net tonnes per truck, for capacities in trucks/day.
    bpr_alpha, bpr_beta
        Volume-delay parameters of capacitated rail and road links (the conventional BPR
        values 0.15 and 4).
    unserved_cost_usd_per_t
        Money cost of not shipping a tonne (a modelling device, not an observation): demand
        takes the "unserved" link only when every route is dearer or full.
    no_vot_usd_per_unit_hour
        Value of time used for commodities without one (pipeline gas): a tie-breaker that
        keeps the cost in money.
    days_per_year
        Operating days per year for per-day capacities.
    gauge_break_hours
        Transshipment time at a gauge break that is not a border crossing (a crossing's
        dwell already includes its gauge change): 4.25 h, the Dostyk train processing time
        (eurasia assumption A037, source K1).
    pipeline_speed_kmh
        Speed used for pipeline transit time where the data gives none. Pipeline
        commodities carry only a tie-breaking value of time, so this only orders otherwise
        equal routes (a modelling parameter, not an observation).
    """

    year: int = 2023
    train_payload_t: float = 888.0
    truck_payload_t: float = 20.0
    bpr_alpha: float = 0.15
    bpr_beta: float = 4.0
    unserved_cost_usd_per_t: float = 10_000.0
    no_vot_usd_per_unit_hour: float = 1.0
    days_per_year: float = 365.0
    gauge_break_hours: float = 4.25
    pipeline_speed_kmh: float = 20.0


@dataclass(frozen=True)
class CorridorModel:
    """A corridor model's source tables (see ``steppe/data/eurasia/README.md``).

    Attributes
    ----------
    nodes, links, crossings, commodities, tariffs, demand
        Source tables.
    projects
        Attribute changes made by projects (scenarios apply them).
    sources, assumptions, conflicts
        Provenance tables.
    name
        Model name.
    switched_on
        Ids of planned elements switched on: ``("link", 301)``, ``("crossing", 27)``.
    parameters
        Modelling parameters.
    """

    nodes: pd.DataFrame
    links: pd.DataFrame
    crossings: pd.DataFrame
    commodities: pd.DataFrame
    tariffs: pd.DataFrame
    demand: pd.DataFrame
    projects: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    assumptions: pd.DataFrame = field(default_factory=pd.DataFrame)
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    name: str = "corridor"
    switched_on: frozenset[tuple[str, int]] = frozenset()
    parameters: CorridorParameters = field(default_factory=CorridorParameters)
    metadata: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def place_country(self) -> dict[int, str]:
        """Country of each place (node id → ISO code)."""
        return dict(zip(self.nodes["node_id"].astype(int), self.nodes["country"], strict=True))


def class_name(commodity: str, origin_country: str, destination_country: str) -> str:
    """Demand-class name of a commodity between two countries: ``"coal|MN>CN"``."""
    return f"{commodity}|{origin_country}>{destination_country}"


def parse_class_name(name: str) -> tuple[str, str, str]:
    """Inverse of :func:`class_name`: (commodity, origin country, destination country)."""
    commodity, _, pair = name.partition("|")
    origin, _, destination = pair.partition(">")
    return commodity, origin, destination


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows as dicts of Python values, like ``table.to_dict("records")``.

    ``to_dict`` boxes every cell one by one (slow on Arrow-backed text columns); this takes
    each column as a list once, which matters in the per-draw build of a sweep.
    """
    names = list(table.columns)
    if not names:
        return [{} for _ in range(len(table))]
    columns = [_python_values(table[name]) for name in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _python_values(column: pd.Series) -> list[Any]:
    values: list[Any] = column.tolist()
    if column.dtype == object:
        return [v.item() if isinstance(v, np.generic) else v for v in values]
    return values
