"""Corridor metrics: crossing volumes, China–Europe route shares, transit, unserved demand."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild

EUROPE_AND_RUSSIA = frozenset({"RU", "BY", "PL", "DE", "FR", "NL"})
"""Destinations that make a China-origin container flow a China–Europe Railway Express flow."""


def link_class_flows(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Flow per link and class (long table, assignment units per year).

    Returns
    -------
    pandas.DataFrame
        ``link_id``, ``demand_class``, ``flow``; zero flows dropped.
    """
    links = result.links
    classes = build.classes["demand_class"].tolist()
    if len(classes) == 1:
        wide = links[["link_id", "flow"]].rename(columns={"flow": classes[0]})
    else:
        wide = links[["link_id", *[f"flow_{c}" for c in classes]]]
        wide.columns = ["link_id", *classes]
    long = wide.melt(id_vars="link_id", var_name="demand_class", value_name="flow")
    return long[long["flow"] > 0].reset_index(drop=True)


def _with_class_info(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    flows = link_class_flows(result, build)
    info = build.network.links[
        [
            "link_id",
            "element",
            "element_id",
            "name",
            "mode",
            "from_country",
            "to_country",
            "hard_capacity",
        ]
    ]
    return flows.merge(info, on="link_id").merge(build.classes, on="demand_class")


def crossing_table(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Volumes per border crossing, direction and mode.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``from_country``, ``to_country``, ``mode``, ``tonnes`` (all freight,
        t/year), ``teu`` (containers), ``trains`` (tonnes / train payload), ``bcm`` (gas),
        ``capacity`` (assignment units/year, NaN if none), ``queue_delay_h``.
    """
    links = build.network.links
    crossing = links[links["element"] == "crossing"]
    base = crossing[
        ["link_id", "name", "from_country", "to_country", "mode", "hard_capacity"]
    ].merge(result.links[["link_id", "flow"]], on="link_id")
    if "queue_delay" in result.links:
        base = base.merge(result.links[["link_id", "queue_delay"]], on="link_id")
    else:
        base["queue_delay"] = 0.0
    flows = _with_class_info(result, build)
    flows = flows[flows["element"] == "crossing"]
    tonnes = flows["flow"].where(flows["assignment_unit"] == "t", 0.0)
    per_link = (
        pd.DataFrame(
            {
                "link_id": flows["link_id"],
                "tonnes": tonnes,
                "teu": np.where(
                    flows["commodity"] == "container",
                    flows["flow"] * flows["units_per_assignment_unit"],
                    0.0,
                ),
                "bcm": np.where(flows["unit"] == "bcm", flows["flow"], 0.0),
            }
        )
        .groupby("link_id", as_index=False)
        .sum()
    )
    table = base.merge(per_link, on="link_id", how="left").fillna(
        {"tonnes": 0.0, "teu": 0.0, "bcm": 0.0}
    )
    payload = build.model.parameters.train_payload_t
    table["trains"] = np.where(table["mode"] == "rail", table["tonnes"] / payload, 0.0)
    table = table.rename(columns={"hard_capacity": "capacity", "queue_delay": "queue_delay_h"})
    columns = [
        "name",
        "from_country",
        "to_country",
        "mode",
        "tonnes",
        "teu",
        "trains",
        "bcm",
        "capacity",
        "queue_delay_h",
    ]
    return table[columns].sort_values(["name", "from_country", "mode"], ignore_index=True)


def _port_name(name: str) -> str:
    """Short place name: "Erenhot (Erlian, Ereen)" → "Erenhot"."""
    return re.split(r"\s*[(\[]", str(name))[0].strip()


def china_europe_route_shares(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Shares of China–Europe rail containers by Chinese exit (or entry) port.

    China–Europe containers are container classes between China and Russia, Belarus or the
    EU, in either direction; each is counted once, where it crosses China's border (by rail,
    or by truck to the other side's railhead — both are a China–Europe train's exit port).

    Returns
    -------
    pandas.DataFrame
        ``port``, ``teu`` (per year), ``share`` (sums to 1).
    """
    flows = _with_class_info(result, build)
    ce = (flows["commodity"] == "container") & (
        ((flows["origin_country"] == "CN") & flows["destination_country"].isin(EUROPE_AND_RUSSIA))
        | ((flows["destination_country"] == "CN") & flows["origin_country"].isin(EUROPE_AND_RUSSIA))
    )
    border = (
        (flows["element"] == "crossing")
        & flows["mode"].isin(["rail", "road"])
        & ((flows["from_country"] == "CN") | (flows["to_country"] == "CN"))
    )
    chosen = flows[ce & border].copy()
    places = build.model.nodes.set_index(build.model.nodes["node_id"].astype(int))["name"]
    chinese_side = _chinese_place(build)
    chosen["port"] = chosen["element_id"].map(chinese_side).map(lambda p: _port_name(places[p]))
    chosen["teu"] = chosen["flow"] * chosen["units_per_assignment_unit"]
    table = chosen.groupby("port", as_index=False)["teu"].sum()
    total = table["teu"].sum()
    table["share"] = table["teu"] / total if total > 0 else 0.0
    return table.sort_values("share", ascending=False, ignore_index=True)


def _chinese_place(build: CorridorBuild) -> dict[int, int]:
    crossings = build.model.crossings
    out = {}
    for row in crossings.to_dict("records"):
        side = row["node_a"] if row["country_a"] == "CN" else row["node_b"]
        out[int(row["crossing_id"])] = int(side)
    return out


def transit_by_country(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Freight crossing a country's territory between two other countries.

    A class (commodity between two countries) is in transit through country C when neither
    end is in C; its flow on crossing links into C is C's transit.

    Returns
    -------
    pandas.DataFrame
        ``country``, ``tonnes`` (t/year, freight), ``bcm`` (gas).
    """
    flows = _with_class_info(result, build)
    entering = flows[
        (flows["element"] == "crossing")
        & (flows["origin_country"] != flows["to_country"])
        & (flows["destination_country"] != flows["to_country"])
    ]
    table = (
        pd.DataFrame(
            {
                "country": entering["to_country"],
                "tonnes": entering["flow"].where(entering["assignment_unit"] == "t", 0.0),
                "bcm": entering["flow"].where(entering["unit"] == "bcm", 0.0),
            }
        )
        .groupby("country", as_index=False)
        .sum()
    )
    return table.sort_values("tonnes", ascending=False, ignore_index=True)


def unserved_table(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Demand that took the "unserved" link: no route, or every route full.

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``destination``, ``commodity``, ``demand_class``, ``volume`` (commodity
        units/year), ``tonnes``.
    """
    links = build.network.links
    served = links[links["element"] == "unserved"][["link_id", "from_node_id", "to_node_id"]]
    flows = _with_class_info(result, build)
    flows = flows[(flows["element"] == "unserved") & (flows["flow"] > 1e-6)]
    table = flows.merge(served, on="link_id")
    out = pd.DataFrame(
        {
            "origin": table["from_node_id"] // 10,
            "destination": table["to_node_id"] // 10,
            "commodity": table["commodity"],
            "demand_class": table["demand_class"],
            "volume": table["flow"] * table["units_per_assignment_unit"],
            "tonnes": table["flow"].where(table["assignment_unit"] == "t", 0.0),
        }
    )
    return out.reset_index(drop=True)
