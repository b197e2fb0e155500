"""Time/cost–distance profiles (UNESCAP method) of equilibrium routes.

A route is traced as the cheapest path for one demand class at equilibrium costs —
congested time + queueing delay + money / value of time, in hours — so it is a path the
equilibrium actually uses (every used path of a class costs the same at equilibrium).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from steppe.analysis._flows import link_times, place_id, place_names
from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild

STEP_ELEMENTS = frozenset({"crossing", "transshipment", "transfer"})
"""Elements drawn as vertical steps on a time/cost–distance chart."""


def pick_class(
    build: CorridorBuild,
    *,
    commodity: str | None,
    demand_class: str | None,
    origin: int,
    destination: int,
) -> str:
    """The demand class to trace: given, else the commodity's class between the two countries.

    Falls back to the commodity's first class (money rates depend on the commodity, not on
    the class, so any class of the commodity gives the same route costs).
    """
    classes = build.classes
    if demand_class is not None:
        if demand_class not in set(classes["demand_class"]):
            raise KeyError(f"unknown demand class {demand_class!r}")
        return demand_class
    if commodity is None:
        raise ValueError("give a commodity or a demand_class")
    mine = classes[classes["commodity"] == commodity]
    if mine.empty:
        raise KeyError(f"no demand class carries commodity {commodity!r}")
    countries = build.model.place_country()
    exact = mine[
        (mine["origin_country"] == countries.get(origin))
        & (mine["destination_country"] == countries.get(destination))
    ]
    return str((exact if len(exact) else mine)["demand_class"].iloc[0])


def _class_link_costs(
    result: AssignmentResult, build: CorridorBuild, cls: str, modes: Sequence[str] | None
) -> pd.DataFrame:
    links = build.network.links
    if modes is not None:
        links = links[links["mode"].isin(list(modes))]
    info = build.classes.set_index("demand_class").loc[cls]
    allowed = links["allowed_uses"].astype(str).str.split(";").map(lambda uses: cls in uses)
    table = links.loc[allowed & (links["element"] != "unserved")].merge(
        link_times(result), on="link_id"
    )
    table["money_usd"] = table[info["money_column"]].to_numpy(float)
    table["hours"] = table["time_h"] + table["queue_delay_h"]
    table["cost_h"] = table["hours"] + table["money_usd"] / float(info["vot_usd_per_unit_hour"])
    return table


def _shortest(table: pd.DataFrame, sources: list[int], targets: set[int]) -> list[int]:
    """Row positions of the cheapest path from any source to any target (Dijkstra)."""
    out: dict[int, list[tuple[int, float, int]]] = {}
    tails = table["from_node_id"].to_numpy(int)
    heads = table["to_node_id"].to_numpy(int)
    costs = table["cost_h"].to_numpy(float)
    for row, (a, b, c) in enumerate(zip(tails, heads, costs, strict=True)):
        out.setdefault(int(a), []).append((int(b), float(c), row))
    label = dict.fromkeys(sources, 0.0)
    back: dict[int, int] = {}
    heap = [(0.0, s) for s in sources]
    done: set[int] = set()
    while heap:
        cost, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        if node in targets:
            path = []
            while node in back:
                row = back[node]
                path.append(row)
                node = int(tails[row])
            return path[::-1]
        for head, c, row in out.get(node, []):
            if cost + c < label.get(head, math.inf):
                label[head] = cost + c
                back[head] = row
                heapq.heappush(heap, (cost + c, head))
    return []


def _ends(build: CorridorBuild, place: int) -> list[int]:
    nodes = build.network.nodes
    mine = nodes.loc[nodes["place_id"] == place, ["node_id", "layer"]]
    centroid = mine.loc[mine["layer"] == "centroid", "node_id"]
    chosen = centroid if len(centroid) else mine["node_id"]
    return [int(n) for n in chosen]


def time_cost_distance(
    result: AssignmentResult,
    build: CorridorBuild,
    *,
    origin: int | str,
    destination: int | str,
    commodity: str | None = None,
    demand_class: str | None = None,
    modes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Time/cost–distance profile of the equilibrium route between two places.

    Parameters
    ----------
    result, build
        A solved corridor model.
    origin, destination
        Place ids or names (``"Tianjin"``, ``"Ulaanbaatar"``).
    commodity, demand_class
        What travels: a demand class, or a commodity (its class between the two places'
        countries, else its first class).

    Returns
    -------
    pandas.DataFrame
        One row per step of the route (zero-length, zero-cost access steps left out):
        ``step``, ``link_id``, ``element``, ``element_id``, ``name``, ``mode``, ``country``
        (``"MN>CN"`` for crossings), ``from_place``, ``to_place``, ``distance_km``, ``hours``
        (congested time + queueing delay), ``queue_delay_h``, ``usd`` (money per assignment
        unit, USD/t), ``usd_per_unit`` (per commodity unit, e.g. USD/TEU), ``is_step``
        (crossings, transshipments, transfers), cumulative ``cum_km``, ``cum_hours``,
        ``cum_usd``, and ``demand_class``. Empty when no route exists.
    """
    o, d = place_id(build, origin), place_id(build, destination)
    cls = pick_class(build, commodity=commodity, demand_class=demand_class, origin=o, destination=d)
    table = _class_link_costs(result, build, cls, modes)
    rows = _shortest(table, _ends(build, o), set(_ends(build, d)))
    path = table.iloc[rows]
    path = path[(path["element"] != "access") | (path["hours"] > 0) | (path["money_usd"] > 0)]
    names = place_names(build)
    per_unit = float(build.classes.set_index("demand_class").loc[cls, "units_per_assignment_unit"])
    crossing = path["element"] == "crossing"
    out = pd.DataFrame(
        {
            "step": np.arange(1, len(path) + 1),
            "link_id": path["link_id"].to_numpy(),
            "element": path["element"].to_numpy(),
            "element_id": path["element_id"].to_numpy(),
            "name": path["name"].to_numpy(),
            "mode": path["mode"].to_numpy(),
            "country": np.where(
                crossing,
                path["from_country"].astype(str) + ">" + path["to_country"].astype(str),
                path["country"].astype(str),
            ),
            "from_place": (path["from_node_id"] // 10).map(names).to_numpy(),
            "to_place": (path["to_node_id"] // 10).map(names).to_numpy(),
            "distance_km": path["length"].fillna(0.0).to_numpy(float),
            "hours": path["hours"].to_numpy(float),
            "queue_delay_h": path["queue_delay_h"].to_numpy(float),
            "usd": path["money_usd"].to_numpy(float),
        }
    )
    out["usd_per_unit"] = out["usd"] / per_unit
    out["is_step"] = out["element"].isin(STEP_ELEMENTS)
    out["cum_km"] = out["distance_km"].cumsum()
    out["cum_hours"] = out["hours"].cumsum()
    out["cum_usd"] = out["usd"].cumsum()
    out["demand_class"] = cls
    return out
