"""Least-cost routes at equilibrium link costs: route options and select-link by OD pair.

These look at one OD pair at a time on the costs of a solved run (congestion and queueing
included), so they are exact for small flows that do not change those costs, such as a
third-country export compared via China and via Russia.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from steppe.model.corridor import CorridorBuild
from steppe.scenario.runner import CorridorRun


@dataclass(frozen=True)
class ClassCosts:
    """Per-link costs of one class: generalized hours, money (USD) and hours."""

    generalized_h: np.ndarray
    money_usd: np.ndarray
    hours: np.ndarray
    allowed: np.ndarray
    vot: float


def link_costs(run: CorridorRun, demand_class: str) -> ClassCosts:
    """Costs of a class on every link at the run's equilibrium (row order of the network)."""
    links = run.build.network.links
    res = run.result.links.set_index("link_id").loc[links["link_id"]]
    delay = res["queue_delay"].to_numpy() if "queue_delay" in res else 0.0
    hours = res["time"].to_numpy(float) + delay
    info = run.build.classes.set_index("demand_class").loc[demand_class]
    money = links[info["money_column"]].to_numpy(float)
    vot = float(info["vot_usd_per_unit_hour"])
    uses = links["allowed_uses"].astype(str)
    allowed = uses.map(lambda s: s.strip() == "" or demand_class in s.split(";")).to_numpy()
    return ClassCosts(hours + money / vot, money, hours, allowed, vot)


def distances(
    build: CorridorBuild, costs: ClassCosts, source: int, usable: np.ndarray
) -> tuple[dict[int, float], dict[int, int]]:
    """Least generalized cost (hours) from an assignment node to every node (Dijkstra).

    Returns the costs and the last link row of each least-cost path; unserved links are
    left out.
    """
    links = build.network.links
    tails = links["from_node_id"].to_numpy()
    heads = links["to_node_id"].to_numpy()
    out: dict[int, list[int]] = {}
    rows = np.flatnonzero(usable & costs.allowed & (links["element"] != "unserved").to_numpy())
    for row in rows.tolist():
        out.setdefault(int(tails[row]), []).append(int(row))
    best = {source: 0.0}
    via: dict[int, int] = {}
    queue = [(0.0, source)]
    while queue:
        cost, node = heapq.heappop(queue)
        if cost > best.get(node, np.inf):
            continue
        for link in out.get(node, []):
            head, new = int(heads[link]), cost + float(costs.generalized_h[link])
            if new < best.get(head, np.inf):
                best[head], via[head] = new, link
                heapq.heappush(queue, (new, head))
    return best, via


def shortest_path(
    build: CorridorBuild, costs: ClassCosts, origin: int, destination: int, usable: np.ndarray
) -> list[int] | None:
    """Link rows of the least generalized-cost path between two places (``None``: no path)."""
    tails = build.network.links["from_node_id"].to_numpy()
    source, target = origin * 10, destination * 10
    _, via = distances(build, costs, source, usable)
    if target not in via:
        return None
    path, node = [], target
    while node != source:
        row = via[node]
        path.append(row)
        node = int(tails[row])
    return path[::-1]


def _avoiding(build: CorridorBuild, countries: Sequence[str]) -> np.ndarray:
    links = build.network.links
    country = build.network.nodes.set_index("node_id")["country"]
    tail = links["from_node_id"].map(country).isin(countries).to_numpy()
    head = links["to_node_id"].map(country).isin(countries).to_numpy()
    usable: np.ndarray = ~(tail | head)
    return usable


def route_options(run: CorridorRun, options: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Least-cost route of each OD pair of some commodities under each routing option.

    Parameters
    ----------
    run
        A solved run (its equilibrium link costs are used).
    options
        Each: ``name``, ``avoid`` (country codes the route may not enter),
        ``commodities`` (list) and optionally ``origin_country`` and
        ``destination_countries``.

    Returns
    -------
    pandas.DataFrame
        ``option``, ``origin``, ``destination``, ``commodity``, ``usd_per_unit``
        (money + value of time × hours, per commodity unit), ``money_usd_per_unit``,
        ``hours``, ``crossings`` (names, in order); NaN costs when no route exists.
    """
    demand = run.build.demand.table
    classes = run.build.classes.set_index("demand_class")
    rows = []
    for option in options:
        usable = _avoiding(run.build, list(option.get("avoid", [])))
        wanted = classes[classes["commodity"].isin(option.get("commodities", []))]
        if "origin_country" in option:
            wanted = wanted[wanted["origin_country"] == option["origin_country"]]
        if "destination_countries" in option:
            wanted = wanted[wanted["destination_country"].isin(option["destination_countries"])]
        for demand_class, info in wanted.iterrows():
            costs = link_costs(run, str(demand_class))
            per = float(info["units_per_assignment_unit"])
            for od in demand[demand["demand_class"] == demand_class].itertuples():
                rows.append(_option_row(run.build, costs, od, str(option["name"]),
                                        str(info["commodity"]), per, usable))
    return pd.DataFrame(rows)


def _option_row(build: CorridorBuild, costs: ClassCosts, od: Any, name: str, commodity: str,
                per_unit: float, usable: np.ndarray) -> dict[str, Any]:
    path = shortest_path(build, costs, int(od.origin), int(od.destination), usable)
    row: dict[str, Any] = {"option": name, "origin": int(od.origin),
                           "destination": int(od.destination), "commodity": commodity}
    if path is None:
        return row | {"usd_per_unit": np.nan, "money_usd_per_unit": np.nan, "hours": np.nan,
                      "crossings": ""}
    money = float(costs.money_usd[path].sum())
    hours = float(costs.hours[path].sum())
    links = build.network.links.iloc[path]
    names = links.loc[links["element"] == "crossing", "name"].tolist()
    # costs are per assignment unit; divide by units per assignment unit for per-unit values
    return row | {
        "usd_per_unit": (money + costs.vot * hours) / per_unit,
        "money_usd_per_unit": money / per_unit,
        "hours": hours,
        "crossings": " > ".join(names),
    }
