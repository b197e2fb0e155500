"""Transit revenue by country: what a country earns from freight crossing it between others."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from steppe.analysis._flows import class_link_flows
from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild
from steppe.model.corridor.tariffs import TariffBook

INSIDE_ONE_COUNTRY = ("link", "transshipment", "transfer")
"""Elements whose money is earned by the country they lie in (the ``country`` column)."""


def _transit(flows: pd.DataFrame, country: pd.Series) -> pd.Series:
    return (flows["origin_country"] != country) & (flows["destination_country"] != country)


def _fee_rate(
    book: TariffBook, fees: list[Mapping[str, Any]], mode: str, country: str, commodity: str
) -> float:
    """USD per assignment unit of a transit fee.

    A scenario's fee for (country, commodity) wins over the ``per_transit`` tariff.
    """
    for fee in fees:
        modes = fee.get("modes")
        if (
            fee["country"] == country
            and fee["commodity"] == commodity
            and (not modes or mode in modes)
        ):
            return float(fee["usd_per_unit"])
    return book.rate(mode, country, commodity, "per_transit")


def transit_revenue(
    result: AssignmentResult,
    build: CorridorBuild,
    *,
    transit_fees: list[Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Revenue a country earns from transit freight (neither origin nor destination there).

    Three components, per country C and mode, in USD/year:

    - ``freight_tariff``: Σ flow × money of transit classes on links, gauge-change yards and
      mode transfers inside C (the model's per-km and handling rates);
    - ``crossing_fee``: Σ flow × fee of transit classes on crossings into C (a border fee is
      counted for the country whose side receives the freight);
    - ``transit_fee``: Σ flow × ``per_transit`` tariff (``tariff.csv``, e.g. a pipeline
      transit fee in USD/bcm) of transit classes entering C by a crossing of that mode.

    Parameters
    ----------
    transit_fees
        Transit fees that are not in the link money (a scenario's fee kept out of route
        choice): dicts with ``country``, ``commodity``, ``usd_per_unit`` (USD per assignment
        unit) and optional ``modes``; each replaces the ``per_transit`` tariff of its
        country and commodity.

    Returns
    -------
    pandas.DataFrame
        ``country``, ``component``, ``mode``, ``usd`` (per year, non-zero rows only),
        ``transit_volume`` (assignment units/year entering C in transit by that mode; on
        the ``transit_fee`` rows only), sorted by country and component.
    """
    flows = class_link_flows(result, build)
    inside = flows[flows["element"].isin(INSIDE_ONE_COUNTRY)]
    inside = inside[_transit(inside, inside["country"])]
    tariff = inside.assign(usd=inside["flow"] * inside["money"], component="freight_tariff")
    entering = flows[flows["element"] == "crossing"]
    entering = entering[_transit(entering, entering["to_country"])].copy()
    entering["country"] = entering["to_country"]
    fees = entering.assign(usd=entering["flow"] * entering["money"], component="crossing_fee")
    book = TariffBook(build.model.tariffs, build.commodities)
    scenario_fees = list(transit_fees or [])
    rate = [
        _fee_rate(book, scenario_fees, str(m), str(c), str(k))
        for m, c, k in zip(
            entering["mode"], entering["country"], entering["commodity"], strict=True
        )
    ]
    transit_fee = entering.assign(usd=entering["flow"] * rate, component="transit_fee")
    parts = []
    for part, volume in ((tariff, False), (fees, False), (transit_fee, True)):
        frame = part[["country", "component", "mode", "usd"]].copy()
        frame["transit_volume"] = part["flow"] if volume else 0.0
        parts.append(frame)
    table = pd.concat(parts, ignore_index=True)
    table = table.groupby(["country", "component", "mode"], as_index=False)[
        ["usd", "transit_volume"]
    ].sum()
    # sea legs (country "XX") are nobody's territory
    table = table[(table["usd"] != 0) & (table["country"] != "XX")]
    return table.sort_values(["country", "component", "mode"], ignore_index=True)


def transit_revenue_by_country(
    result: AssignmentResult,
    build: CorridorBuild,
    *,
    transit_fees: list[Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Total transit revenue per country (USD/year), largest first.

    Returns
    -------
    pandas.DataFrame
        ``country``, ``usd``, ``freight_tariff``, ``crossing_fee``, ``transit_fee``.
    """
    long = transit_revenue(result, build, transit_fees=transit_fees)
    wide = long.pivot_table(
        index="country", columns="component", values="usd", aggfunc="sum", fill_value=0.0
    )
    for column in ("freight_tariff", "crossing_fee", "transit_fee"):
        if column not in wide:
            wide[column] = 0.0
    wide["usd"] = wide[["freight_tariff", "crossing_fee", "transit_fee"]].sum(axis=1)
    wide = wide.reset_index()[["country", "usd", "freight_tariff", "crossing_fee", "transit_fee"]]
    wide.columns.name = None
    return wide.sort_values("usd", ascending=False, ignore_index=True)
