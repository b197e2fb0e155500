"""Shared helpers of the corridor metrics: class flows with link and class attributes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from steppe.analysis.corridor import link_class_flows
from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild

PHYSICAL = ("link", "crossing")
"""Elements that move freight between places (the rest act inside one place)."""


def node_countries(build: CorridorBuild) -> pd.Series:
    """Country of every assignment node, indexed by node id."""
    nodes = build.network.nodes
    return pd.Series(nodes["country"].to_numpy(), index=nodes["node_id"].astype(int))


def place_names(build: CorridorBuild) -> pd.Series:
    """Place name by place id (the source node table)."""
    nodes = build.model.nodes
    return pd.Series(nodes["name"].to_numpy(), index=nodes["node_id"].astype(int))


def place_id(build: CorridorBuild, place: int | str) -> int:
    """A place id from an id or a (case-insensitive, leading) name such as ``"Ulaanbaatar"``."""
    if isinstance(place, int | np.integer):
        return int(place)
    names = place_names(build)
    text = str(place).strip().lower()
    exact = names[names.str.lower() == text]
    hits = exact if len(exact) else names[names.str.lower().str.startswith(text)]
    if len(hits) != 1:
        raise KeyError(f"place {place!r} matches {len(hits)} places; give a node id")
    return int(hits.index[0])


def link_times(result: AssignmentResult) -> pd.DataFrame:
    """Per link: ``link_id``, ``time_h`` (congested) and ``queue_delay_h`` (0 when absent)."""
    links = result.links
    queue = links["queue_delay"] if "queue_delay" in links else pd.Series(0.0, index=links.index)
    return pd.DataFrame(
        {
            "link_id": links["link_id"].to_numpy(),
            "time_h": links["time"].to_numpy(float),
            "queue_delay_h": queue.fillna(0.0).to_numpy(float),
        }
    )


def class_link_flows(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Long table of positive class flows with link, class and cost attributes.

    Returns
    -------
    pandas.DataFrame
        One row per (link, class) with flow: ``link_id``, ``demand_class``, ``flow``
        (assignment units/year), the link's ``element``, ``element_id``, ``name``, ``mode``,
        ``country``, ``from_country``, ``to_country``, ``length``, ``hard_capacity``,
        ``tail_country``/``head_country`` (node countries), ``time_h``, ``queue_delay_h``,
        ``money`` (USD per assignment unit for that class) and the class columns
        (``commodity``, ``origin_country``, ``destination_country``, ``assignment_unit``,
        ``units_per_assignment_unit``, ``vot_usd_per_unit_hour``).
    """
    flows = link_class_flows(result, build)
    links = build.network.links
    keep = [
        "link_id",
        "from_node_id",
        "to_node_id",
        "element",
        "element_id",
        "name",
        "mode",
        "country",
        "from_country",
        "to_country",
        "length",
        "hard_capacity",
    ]
    table = flows.merge(links[keep], on="link_id").merge(link_times(result), on="link_id")
    countries = node_countries(build)
    table["tail_country"] = table["from_node_id"].map(countries).to_numpy()
    table["head_country"] = table["to_node_id"].map(countries).to_numpy()
    table = table.merge(build.classes, on="demand_class")
    money = np.zeros(len(table))
    for column, rows in table.groupby("money_column").groups.items():
        values = links.set_index("link_id")[column]
        money[table.index.get_indexer(rows)] = values.loc[table.loc[rows, "link_id"]].to_numpy()
    table["money"] = money
    return table


def tonnes(flows: pd.DataFrame) -> pd.Series:
    """Flow in tonnes where the class's assignment unit is the tonne, else 0."""
    return flows["flow"].where(flows["assignment_unit"] == "t", 0.0)


def served_volume(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Demand, unserved and served volume per class (assignment units/year).

    Returns
    -------
    pandas.DataFrame
        ``demand_class``, ``demand``, ``unserved``, ``served`` plus the class columns.
    """
    demand = build.demand.table.groupby("demand_class", as_index=False)["volume"].sum()
    demand = demand.rename(columns={"volume": "demand"})
    flows = link_class_flows(result, build)
    unserved_links = build.network.links.loc[
        build.network.links["element"] == "unserved", "link_id"
    ]
    lost = flows[flows["link_id"].isin(unserved_links)].groupby("demand_class")["flow"].sum()
    table = demand.merge(build.classes, on="demand_class")
    no_path = (
        result.unassigned.groupby("demand_class")["volume"].sum()
        if len(result.unassigned)
        else pd.Series(dtype=float)
    )
    table["unserved"] = (
        table["demand_class"].map(lost).fillna(0.0) + table["demand_class"].map(no_path).fillna(0.0)
    ).to_numpy()
    table["served"] = (table["demand"] - table["unserved"]).clip(lower=0.0)
    return table
