"""Commodities and tariffs: units, values of time, and money per assignment unit."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from steppe.errors import InputError
from steppe.model.corridor.tables import CorridorParameters, records


@dataclass(frozen=True)
class Commodity:
    """A commodity as the assignment sees it.

    ``tonnes_per_unit`` converts the commodity's unit to the assignment unit: tonnes, or the
    commodity's own unit (e.g. bcm of gas) when it has no tonne conversion
    (``assignment_unit`` says which).
    """

    name: str
    unit: str
    tonnes_per_unit: float | None
    value_of_time_usd_per_unit_hour: float | None
    allowed_modes: frozenset[str]
    dispersion_per_hour: float | None = None
    """Logit route-choice dispersion θ (1/hour of generalized cost); None = deterministic."""

    @property
    def assignment_unit(self) -> str:
        """``"t"`` or the commodity's own unit."""
        return "t" if self.tonnes_per_unit else self.unit

    @property
    def units_per_assignment_unit(self) -> float:
        """Commodity units in one assignment unit (1/tonnes_per_unit, or 1)."""
        return 1.0 / self.tonnes_per_unit if self.tonnes_per_unit else 1.0

    def vot_per_assignment_unit_hour(self, parameters: CorridorParameters) -> float:
        """Value of time in USD per assignment unit and hour."""
        vot = self.value_of_time_usd_per_unit_hour
        if vot is None or not vot > 0:
            vot = parameters.no_vot_usd_per_unit_hour
        return vot * self.units_per_assignment_unit


def _number(value: object) -> float | None:
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_commodities(table: pd.DataFrame) -> dict[str, Commodity]:
    """Commodities by name from the commodity table."""
    out = {}
    for row in records(table):
        name = str(row["commodity"])
        modes = frozenset(m.strip() for m in str(row["allowed_modes"]).split(";") if m.strip())
        out[name] = Commodity(
            name=name,
            unit=str(row["unit"]),
            tonnes_per_unit=_number(row.get("tonnes_per_unit")),
            value_of_time_usd_per_unit_hour=_number(row.get("value_of_time_usd_per_unit_hour")),
            allowed_modes=modes,
            dispersion_per_hour=_number(row.get("dispersion_per_hour")),
        )
    return out


class TariffBook:
    """Look up money rates by mode, country, commodity and cost type.

    The most specific row wins: (commodity, country), then (commodity, any country), then
    (any commodity, country), then (any, any). Rates are returned in USD per assignment unit
    (and per km for ``per_km``).
    """

    def __init__(self, tariffs: pd.DataFrame, commodities: dict[str, Commodity]) -> None:
        self._rates: dict[tuple[str, str, str, str], tuple[float, str]] = {}
        for row in records(tariffs):
            key = (
                str(row["mode"]),
                str(row["country"]),
                str(row["commodity"]),
                str(row["cost_type"]),
            )
            value = _number(row["value"])
            if value is None:
                raise InputError(
                    f"tariff row {row.get('tariff_id', key)}: value "
                    f"{row['value']!r} is not a number"
                )
            self._rates[key] = (value, str(row["unit"]))
        self._commodities = commodities

    def rate(self, mode: str, country: str, commodity: str, cost_type: str) -> float:
        """USD per assignment unit (per km for ``per_km``); 0 when no row applies."""
        for key in (
            (mode, country, commodity, cost_type),
            (mode, "*", commodity, cost_type),
            (mode, country, "*", cost_type),
            (mode, "*", "*", cost_type),
        ):
            if key in self._rates:
                value, unit = self._rates[key]
                factor = self._unit_factor(unit, self._commodities[commodity])
                if not math.isnan(factor):  # a per-tonne rate does not apply to e.g. bcm
                    return value * factor
        return 0.0

    @staticmethod
    def _unit_factor(unit: str, commodity: Commodity) -> float:
        """Factor from the tariff's unit to USD per assignment unit."""
        per = unit.split("/", 1)[1] if "/" in unit else ""
        per = per.removesuffix("-km")
        if per in ("t", "tonne"):
            return 1.0 if commodity.tonnes_per_unit else math.nan
        if per == commodity.unit:
            return commodity.units_per_assignment_unit
        raise InputError(
            f"tariff unit {unit!r} does not apply to commodity '{commodity.name}' "
            f"(unit {commodity.unit}, tonnes per unit {commodity.tonnes_per_unit})"
        )
