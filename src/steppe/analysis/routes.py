"""Generalized cost of the best route between two places, optionally through one crossing."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict

import numpy as np
import pandas as pd

from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild


def route_cost(
    result: AssignmentResult,
    build: CorridorBuild,
    demand_class: str,
    origin: int,
    destination: int,
    *,
    via_crossings: frozenset[int] | None = None,
    avoid_crossings: frozenset[int] = frozenset(),
    avoid_modes: frozenset[str] = frozenset(),
    queue: bool = True,
) -> dict[str, float]:
    """Cheapest route of a class at the solved link times (queue delays included).

    Parameters
    ----------
    result, build
        A solved corridor run.
    demand_class
        Class whose money column, value of time and allowed links apply.
    origin, destination
        Place ids (zones).
    via_crossings
        If given, the route must cross borders only at these crossing ids (other crossings
        are closed); ``avoid_crossings`` closes crossings outright and ``avoid_modes``
        closes every link of those modes (e.g. ``{"sea"}``).
    queue
        Add the queueing delays of full hard capacities (hours, the capacity multipliers);
        ``False`` gives the cost of the service itself (travel, dwell and congestion time
        plus money) without the scarcity of a full capacity.

    Returns
    -------
    dict
        ``generalized_cost_h`` (hours: time + money / value of time), ``time_h``,
        ``money_usd_per_unit`` (per assignment unit) and ``length_km``; ``inf`` when no
        route exists.
    """
    links = build.network.links
    info = build.classes.set_index("demand_class").loc[demand_class]
    time = result.links["time"].to_numpy() + (
        result.links["queue_delay"].to_numpy() if queue and "queue_delay" in result.links else 0.0
    )
    money = links[info["money_column"]].to_numpy(float)
    allowed = links["allowed_uses"].fillna("").map(lambda t: demand_class in t.split(";"))
    crossing = links["element"].to_numpy() == "crossing"
    ids = links["element_id"].to_numpy()
    closed = crossing & np.isin(ids, list(avoid_crossings))
    if via_crossings is not None:
        closed |= crossing & ~np.isin(ids, list(via_crossings))
    closed |= links["mode"].isin(list(avoid_modes)).to_numpy()
    usable = allowed.to_numpy() & ~closed & (links["element"].to_numpy() != "unserved")
    cost = time + money / float(info["vot_usd_per_unit_hour"])
    return _dijkstra(links, usable, cost, time, money, origin * 10, destination * 10)


def _dijkstra(
    links: pd.DataFrame,
    usable: np.ndarray,
    cost: np.ndarray,
    time: np.ndarray,
    money: np.ndarray,
    source: int,
    target: int,
) -> dict[str, float]:
    out: dict[int, list[int]] = defaultdict(list)
    tails = links["from_node_id"].to_numpy()
    heads = links["to_node_id"].to_numpy()
    for usable_row in np.flatnonzero(usable).tolist():
        out[int(tails[usable_row])].append(usable_row)
    best = {source: 0.0}
    pred: dict[int, int] = {}
    heap = [(0.0, source)]
    while heap:
        d, node = heapq.heappop(heap)
        if node == target:
            break
        if d > best.get(node, math.inf) or (node % 10 == 0 and node != source):
            continue
        for row in out[node]:
            head = int(heads[row])
            nd = d + float(cost[row])
            if nd < best.get(head, math.inf):
                best[head], pred[head] = nd, row
                heapq.heappush(heap, (nd, head))
    if target not in best:
        keys = ("generalized_cost_h", "time_h", "money_usd_per_unit", "length_km")
        return dict.fromkeys(keys, math.inf)
    rows, node = [], target
    while node != source:
        rows.append(pred[node])
        node = int(tails[pred[node]])
    length = links["length"].to_numpy()
    return {
        "generalized_cost_h": best[target],
        "time_h": float(time[rows].sum()),
        "money_usd_per_unit": float(money[rows].sum()),
        "length_km": float(length[rows].sum()),
    }
