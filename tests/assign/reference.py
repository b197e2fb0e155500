"""Slow, obviously-correct reference implementations the kernels are checked against."""

from __future__ import annotations

import heapq

import numpy as np


def dijkstra_reference(n_nodes, tails, heads, costs, origin, blocked):
    """Plain heapq Dijkstra over an edge list; returns (dist, pred_edge)."""
    out_edges = [[] for _ in range(n_nodes)]
    for e, (t, _h) in enumerate(zip(tails, heads, strict=True)):
        out_edges[t].append(e)
    dist = [float("inf")] * n_nodes
    pred = [-1] * n_nodes
    dist[origin] = 0.0
    heap = [(0.0, origin)]
    done = set()
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        if blocked[u] and u != origin:
            continue
        for e in out_edges[u]:
            v = heads[e]
            if d + costs[e] < dist[v]:
                dist[v] = d + costs[e]
                pred[v] = e
                heapq.heappush(heap, (dist[v], v))
    return np.array(dist), np.array(pred)


def aon_reference(n_nodes, tails, heads, costs, blocked, od):
    """Load each (origin, destination, volume) on its reference shortest path."""
    flows = np.zeros(len(tails))
    sptt = 0.0
    reached = []
    for origin, destination, volume in od:
        dist, pred = dijkstra_reference(n_nodes, tails, heads, costs, origin, blocked)
        if not np.isfinite(dist[destination]):
            reached.append(False)
            continue
        reached.append(True)
        sptt += volume * dist[destination]
        node = destination
        while node != origin:
            e = pred[node]
            flows[e] += volume
            node = tails[e]
    return flows, sptt, np.array(reached)


def bpr_reference(flow, t0, cap, alpha, beta):
    return t0 * (1.0 + alpha * (flow / cap) ** beta)


def beckmann_reference(flow, t0, cap, alpha, beta):
    return float(np.sum(t0 * flow * (1.0 + alpha / (beta + 1.0) * (flow / cap) ** beta)))


def class_relative_gap(problem, result, k):
    """Relative gap of class ``k`` at the result's link times: Σ cost × flow / SPTT − 1.

    Uses the class's own fixed costs and routing graph (its allowed links).
    """
    from steppe.assign.kernels.paths import all_or_nothing

    c = problem.classes[k]
    cost = result.links["time"].to_numpy() + c.fixed_cost
    g = c.graph
    _, origin_cost, _ = all_or_nothing(g.edge_start, g.edge_head, g.edge_tail,
                                       g.edge_values(cost), g.blocked, c.origin_nodes,
                                       c.od_start, c.od_dest, c.od_volume)
    flow = result.links[f"flow_{c.name}"].to_numpy()
    return float(np.dot(cost, flow)) / float(origin_cost.sum()) - 1.0
