"""Money per link and class, worked out per tariff group, against a per-link reference."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from steppe.model.corridor import CorridorModel, build_assignment
from steppe.model.corridor.tables import records
from steppe.model.corridor.tariffs import Commodity, TariffBook
from steppe.scenario.execute import load_base


def reference_money(
    link: dict[str, Any], commodity: Commodity, tariffs: TariffBook, model: CorridorModel
) -> float:
    """Money of one link for one commodity, looked up link by link (USD per unit)."""
    element, mode, country = link["element"], str(link["mode"]), str(link["country"])
    if element == "link":
        return tariffs.rate(mode, country, commodity.name, "per_km") * float(link["length"])
    if element == "crossing":
        return float(link.get("fee_usd", 0.0) or 0.0)
    if element == "transshipment":
        return tariffs.rate("rail", country, commodity.name, "gauge_change")
    if element == "transfer":
        rate = tariffs.rate("transfer", country, commodity.name, "per_transfer")
        if link.get("border_gauge_break") is True:
            rate = max(rate, tariffs.rate("rail", country, commodity.name, "gauge_change"))
        return rate
    if element == "unserved":
        return float(model.parameters.unserved_cost_usd_per_t)
    return 0.0


def test_money_columns_match_the_per_link_reference() -> None:
    model = load_base("eurasia")[0]
    build = build_assignment(model)
    links = build.network.links
    rows = links.to_dict("records")
    tariffs = TariffBook(model.tariffs, build.commodities)
    for c in build.classes.itertuples():
        commodity = build.commodities[str(c.commodity)]
        expected = [reference_money(r, commodity, tariffs, model) for r in rows]
        np.testing.assert_array_equal(links[str(c.money_column)].to_numpy(), expected)


def test_records_are_to_dict_records() -> None:
    model = load_base("eurasia")[0]
    for table in (model.links, model.crossings, model.demand,
                  pd.DataFrame({"a": [1, 2], "b": pd.array([np.int64(3), None], dtype=object)})):
        fast, slow = records(table), table.to_dict("records")
        assert [list(r) for r in fast] == [list(r) for r in slow]
        for a, b in zip(fast, slow, strict=True):
            for key in a:
                assert type(a[key]) is type(b[key])
                assert a[key] == b[key] or (pd.isna(a[key]) and pd.isna(b[key]))
