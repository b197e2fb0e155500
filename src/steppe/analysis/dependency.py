"""Dependency and balance: who a country trades with, whose territory its trade crosses.

Trade of country C is every demand class with C at exactly one end; it is measured by the
served volume (demand minus unserved) in tonnes and, where commodity values are known, in
USD.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from steppe.analysis._flows import class_link_flows, served_volume
from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild

SEA = "sea"
"""Label of trade leaving or entering a country by sea rather than across a land border."""

MEASURES = ("partner", "via_neighbour", "transit_through")


def _unit_values(build: CorridorBuild, values: Mapping[str, float] | None) -> pd.Series:
    """USD per assignment unit per class (NaN where no value is known)."""
    classes = build.classes
    if values is None and "value_usd_per_unit" in build.model.commodities:
        table = build.model.commodities
        values = dict(
            zip(
                table["commodity"],
                pd.to_numeric(table["value_usd_per_unit"], errors="coerce"),
                strict=True,
            )
        )
    per_unit = classes["commodity"].map(values or {}).astype(float)
    return pd.Series(
        (per_unit * classes["units_per_assignment_unit"]).to_numpy(),
        index=classes["demand_class"],
    )


def trading_countries(build: CorridorBuild) -> list[str]:
    """Countries at either end of some demand class (with external trade)."""
    classes = build.classes
    ends = set(classes["origin_country"]) | set(classes["destination_country"])
    return sorted(ends)


def land_neighbours(build: CorridorBuild) -> dict[str, list[str]]:
    """Countries sharing a crossing in the built network, per country."""
    links = build.network.links
    crossing = links[links["element"] == "crossing"]
    out: dict[str, set[str]] = {}
    for a, b in zip(crossing["from_country"], crossing["to_country"], strict=True):
        out.setdefault(str(a), set()).add(str(b))
        out.setdefault(str(b), set()).add(str(a))
    return {k: sorted(v) for k, v in out.items()}


def _trade(flows: pd.DataFrame, country: str) -> tuple[pd.DataFrame, pd.Series]:
    exports = flows["origin_country"] == country
    imports = flows["destination_country"] == country
    return flows[exports | imports], exports[exports | imports]


def _rows(country: str, measure: str, amounts: pd.DataFrame, total: pd.Series) -> pd.DataFrame:
    table = amounts.groupby("other", as_index=False)[["tonnes", "value_usd"]].sum(min_count=1)
    table.insert(0, "measure", measure)
    table.insert(0, "country", country)
    table["share_t"] = table["tonnes"] / total["tonnes"] if total["tonnes"] > 0 else np.nan
    table["share_value"] = (
        table["value_usd"] / total["value_usd"] if total["value_usd"] > 0 else np.nan
    )
    return table


def _country_shares(flows: pd.DataFrame, served: pd.DataFrame, country: str) -> list[pd.DataFrame]:
    exporting = served["origin_country"] == country
    mine = served[exporting ^ (served["destination_country"] == country)]
    if mine.empty:
        return []
    export = mine["origin_country"] == country
    partner = pd.DataFrame(
        {
            "other": np.where(export, mine["destination_country"], mine["origin_country"]),
            "tonnes": mine["served_t"],
            "value_usd": mine["served_value"],
        }
    )
    total = partner[["tonnes", "value_usd"]].sum(min_count=1)
    out = [_rows(country, "partner", partner, total)]
    trade, is_export = _trade(flows, country)
    trade = trade[trade["origin_country"] != trade["destination_country"]]
    is_export = is_export.loc[trade.index]
    leaving = is_export & (trade["tail_country"] == country) & (trade["head_country"] != country)
    arriving = ~is_export & (trade["head_country"] == country) & (trade["tail_country"] != country)
    border = trade[leaving | arriving]
    label = np.where(
        border["mode"] == "sea",
        SEA,
        np.where(leaving.loc[border.index], border["head_country"], border["tail_country"]),
    )
    via = pd.DataFrame({"other": label, "tonnes": border["t"], "value_usd": border["value"]})
    out.append(_rows(country, "via_neighbour", via, total))
    entering = (
        (trade["head_country"] != trade["tail_country"])
        & (trade["head_country"] != trade["origin_country"])
        & (trade["head_country"] != trade["destination_country"])
    )
    through = trade[entering]
    transit = pd.DataFrame(
        {"other": through["head_country"], "tonnes": through["t"], "value_usd": through["value"]}
    )
    out.append(_rows(country, "transit_through", transit, total))
    return out


def trade_shares(
    result: AssignmentResult,
    build: CorridorBuild,
    *,
    countries: list[str] | None = None,
    values: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Partner, border and transit shares of each country's external trade.

    For country C with served trade T_C (tonnes; USD where values exist):

    - ``partner`` P: s = served trade between C and P / T_C (sums to 1);
    - ``via_neighbour`` N: s = trade leaving C across its border with N (exports) or
      entering C from N (imports) / T_C, with N = ``"sea"`` for a sea leg (sums to 1 when
      each route crosses C's border once);
    - ``transit_through`` X: s = trade of C entering X, neither C nor the partner, / T_C
      (does not sum to 1: a route may cross several countries or none).

    Parameters
    ----------
    countries
        Countries to report (default: every country with trade).
    values
        USD per commodity unit by commodity (default: the commodity table's
        ``value_usd_per_unit`` column when present; otherwise values are NaN).

    Returns
    -------
    pandas.DataFrame
        ``country``, ``measure``, ``other``, ``tonnes``, ``value_usd`` (per year),
        ``share_t``, ``share_value``.
    """
    unit_value = _unit_values(build, values)
    flows = class_link_flows(result, build)
    flows = flows[~flows["element"].isin(("access", "unserved"))].copy()
    flows["t"] = flows["flow"].where(flows["assignment_unit"] == "t", 0.0)
    flows["value"] = flows["flow"] * flows["demand_class"].map(unit_value).to_numpy()
    served = served_volume(result, build)
    served["served_t"] = served["served"].where(served["assignment_unit"] == "t", 0.0)
    served["served_value"] = served["served"] * served["demand_class"].map(unit_value).to_numpy()
    parts: list[pd.DataFrame] = []
    for country in countries or trading_countries(build):
        parts.extend(_country_shares(flows, served, country))
    columns = ["country", "measure", "other", "tonnes", "value_usd", "share_t", "share_value"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def herfindahl(shares: pd.Series) -> float:
    """Herfindahl–Hirschman index Σ s² of shares that sum to one (0..1)."""
    total = float(shares.sum())
    return float(((shares / total) ** 2).sum()) if total > 0 else float("nan")


def dependency_index(
    result: AssignmentResult,
    build: CorridorBuild,
    *,
    countries: list[str] | None = None,
    values: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Concentration and balance of each country's trade.

    - ``hhi_partner`` = Σ_P s_P² over partners (tonnes);
    - ``hhi_via`` = Σ_N s_N² over the borders the trade crosses (``via_neighbour``);
    - ``balance_index`` = (1 − hhi_via) / (1 − 1/n), n = the country's land neighbours plus
      one if it trades by sea: 1 when trade is spread evenly over every way out, 0 when it
      all uses one (for Mongolia, n = 2 and the index is 4·s_RU·s_CN).

    Returns
    -------
    pandas.DataFrame
        ``country``, ``trade_t`` (served, t/year), ``hhi_partner``, ``hhi_partner_value``,
        ``hhi_via``, ``n_ways``, ``balance_index``, ``largest_partner``,
        ``largest_partner_share``, ``largest_neighbour``, ``largest_neighbour_share``.
    """
    shares = trade_shares(result, build, countries=countries, values=values)
    neighbours = land_neighbours(build)
    rows = []
    for country, table in shares.groupby("country", sort=True):
        partner = table[table["measure"] == "partner"]
        via = table[table["measure"] == "via_neighbour"]
        ways = len(neighbours.get(str(country), [])) + int((via["other"] == SEA).any())
        hhi_via = herfindahl(via["tonnes"])
        top_p = partner.loc[partner["tonnes"].idxmax()] if len(partner) else None
        top_v = via.loc[via["tonnes"].idxmax()] if len(via) and via["tonnes"].sum() > 0 else None
        rows.append(
            {
                "country": country,
                "trade_t": float(partner["tonnes"].sum()),
                "hhi_partner": herfindahl(partner["tonnes"]),
                "hhi_partner_value": herfindahl(partner["value_usd"].fillna(0.0)),
                "hhi_via": hhi_via,
                "n_ways": ways,
                "balance_index": (1 - hhi_via) / (1 - 1 / ways) if ways > 1 else float("nan"),
                "largest_partner": None if top_p is None else top_p["other"],
                "largest_partner_share": np.nan if top_p is None else top_p["share_t"],
                "largest_neighbour": None if top_v is None else top_v["other"],
                "largest_neighbour_share": np.nan if top_v is None else top_v["share_t"],
            }
        )
    return pd.DataFrame(rows)


def generalized_cost(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Served volume and generalized cost per class, unserved links left out.

    Generalized cost (USD/year) = Σ over links of flow × (money + VOT × (time + queueing
    delay)).

    Returns
    -------
    pandas.DataFrame
        ``demand_class``, ``origin_country``, ``destination_country``, ``assignment_unit``,
        ``served``, ``unserved``, ``cost_usd``.
    """
    flows = class_link_flows(result, build)
    flows = flows[flows["element"] != "unserved"]
    usd = flows["flow"] * (
        flows["money"] + flows["vot_usd_per_unit_hour"] * (flows["time_h"] + flows["queue_delay_h"])
    )
    cost = usd.groupby(flows["demand_class"]).sum()
    served = served_volume(result, build)
    served["cost_usd"] = served["demand_class"].map(cost).fillna(0.0).to_numpy()
    columns = [
        "demand_class",
        "origin_country",
        "destination_country",
        "assignment_unit",
        "served",
        "unserved",
        "cost_usd",
    ]
    return served[columns]


def closure_exposure(
    result: AssignmentResult,
    build: CorridorBuild,
    *,
    closed: Mapping[str, tuple[AssignmentResult, CorridorBuild]],
    countries: list[str] | None = None,
) -> pd.DataFrame:
    """Trade lost and extra cost for each country if a neighbour closed its borders.

    ``closed[X]`` is the re-equilibrated run with every crossing of X removed (see
    :func:`steppe.scenario.exposure.closure_runs`). For country C ≠ X, over C's classes k:

    - ``lost_t`` = Σ_k (unserved_k(closed) − unserved_k(base)), tonnes/year (``lost_bcm`` for
      gas);
    - ``extra_cost_usd`` = Σ_k served_k(closed) × (c_k(closed) − c_k(base)), with c_k the
      generalized cost per served unit: the extra cost of the trade that still moves.

    Returns
    -------
    pandas.DataFrame
        ``country``, ``closed``, ``trade_t`` (base served), ``lost_t``, ``lost_share``,
        ``lost_bcm``, ``extra_cost_usd``, ``extra_cost_usd_per_t``.
    """
    base = generalized_cost(result, build).set_index("demand_class")
    neighbours = land_neighbours(build)
    rows = []
    for country in countries or trading_countries(build):
        mine = base[(base["origin_country"] == country) ^ (base["destination_country"] == country)]
        for other, (res, bld) in closed.items():
            if other == country or other not in neighbours.get(country, []):
                continue
            rows.append(_exposure_row(country, other, mine, generalized_cost(res, bld)))
    columns = [
        "country",
        "closed",
        "trade_t",
        "lost_t",
        "lost_share",
        "lost_bcm",
        "extra_cost_usd",
        "extra_cost_usd_per_t",
    ]
    return pd.DataFrame(rows, columns=columns)


def _exposure_row(
    country: str, other: str, base: pd.DataFrame, after: pd.DataFrame
) -> dict[str, Any]:
    after = after.set_index("demand_class").reindex(base.index)
    tonne = base["assignment_unit"] == "t"
    lost = after["unserved"].fillna(base["served"] + base["unserved"]) - base["unserved"]
    unit_base = base["cost_usd"] / base["served"].where(base["served"] > 0)
    unit_after = after["cost_usd"] / after["served"].where(after["served"] > 0)
    extra = (after["served"] * (unit_after - unit_base)).fillna(0.0)
    trade_t = float(base.loc[tonne, "served"].sum())
    lost_t = float(lost[tonne].sum())
    still = float(after.loc[tonne, "served"].fillna(0.0).sum())
    return {
        "country": country,
        "closed": other,
        "trade_t": trade_t,
        "lost_t": lost_t,
        "lost_share": lost_t / trade_t if trade_t > 0 else float("nan"),
        "lost_bcm": float(lost[~tonne].sum()),
        "extra_cost_usd": float(extra.sum()),
        "extra_cost_usd_per_t": float(extra[tonne].sum()) / still if still > 0 else float("nan"),
    }
