"""Money per assignment unit on each built link, per demand class (USD per assignment unit).

A link's money depends only on its tariff group — element kind, mode, country, crossing fee,
whether a transfer is a border gauge break — and, for ``link`` elements, its length (the
group's rate is per km). Rates are therefore looked up once per (class, group) rather than
once per (class, link), and spread to the links with numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from steppe.model.corridor.tables import CorridorParameters
from steppe.model.corridor.tariffs import Commodity, TariffBook

GroupKey = tuple[Any, ...]


def money_columns(
    rows: list[dict[str, Any]],
    classes: list[tuple[str, str]],
    commodities: dict[str, Commodity],
    tariffs: TariffBook,
    parameters: CorridorParameters,
) -> dict[str, np.ndarray]:
    """Money per assignment unit of every link (``rows``) for each (money column, commodity).

    Returns
    -------
    dict
        Money column name → float64 array, one value per link: tariff per km × length on
        physical links, the fee on crossings, gauge-change and transfer rates on
        transshipments and transfers, the unserved cost on unserved links, 0 elsewhere.
    """
    groups: dict[GroupKey, int] = {}
    group = np.array([groups.setdefault(_group_key(r), len(groups)) for r in rows], dtype=np.intp)
    per_km = np.array([r["element"] == "link" for r in rows], dtype=bool)
    length = np.array([float(r["length"]) if r["element"] == "link" else 0.0 for r in rows])
    by_commodity: dict[str, np.ndarray] = {}  # classes of one commodity pay the same
    for _, name in classes:
        if name not in by_commodity:
            commodity = commodities[name]
            rates = np.array([_group_rate(k, commodity, tariffs, parameters) for k in groups],
                             dtype=float)
            money = rates[group] if len(rows) else np.zeros(0)
            money[per_km] *= length[per_km]
            by_commodity[name] = money
    return {column: by_commodity[name].copy() for column, name in classes}


def _group_key(link: dict[str, Any]) -> GroupKey:
    element = link["element"]
    if element == "link":
        return ("link", str(link["mode"]), str(link["country"]))
    if element == "crossing":
        return ("crossing", float(link.get("fee_usd", 0.0) or 0.0))
    if element == "transshipment":
        return ("transshipment", str(link["country"]))
    if element == "transfer":
        return ("transfer", str(link["country"]), bool(link.get("border_gauge_break")))
    if element == "unserved":
        return ("unserved",)
    return ("none",)


def _group_rate(
    key: GroupKey, commodity: Commodity, tariffs: TariffBook, parameters: CorridorParameters
) -> float:
    """USD per assignment unit of a group (per km for ``link`` groups)."""
    kind = key[0]
    if kind == "link":
        return tariffs.rate(key[1], key[2], commodity.name, "per_km")
    if kind == "crossing":
        return float(key[1])
    if kind == "transshipment":
        return tariffs.rate("rail", key[1], commodity.name, "gauge_change")
    if kind == "transfer":
        rate = tariffs.rate("transfer", key[1], commodity.name, "per_transfer")
        if key[2]:
            rate = max(rate, tariffs.rate("rail", key[1], commodity.name, "gauge_change"))
        return rate
    if kind == "unserved":
        return float(parameters.unserved_cost_usd_per_t)
    return 0.0
