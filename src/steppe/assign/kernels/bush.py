"""Bushes of Algorithm B: layout, labels in topological order, shortest paths, rebalancing.

A *bush* is an acyclic subgraph rooted at one origin that reaches every node the origin can
reach. It is stored compactly, per bush:

* ``order[:n]`` — its nodes in topological order (``order[0]`` is the origin);
* ``in_ptr[:n + 1]`` — the bush edges entering ``order[k]`` sit at *slots*
  ``in_ptr[k]:in_ptr[k + 1]``;
* ``in_edge[slot]`` / ``in_flow[slot]`` — the edge (id in the class's routing graph) and the
  origin's flow on it.

Slots keep an edge next to its flow, so the passes below stream through memory. Labels
come from one linear pass in topological order (no heap): ``low`` is the shortest path over
all bush edges, ``high`` the longest *used* path (flow above a threshold); the
predecessor arrays hold slots. Every kernel here is serial and works on one bush; the
drivers in :mod:`steppe.assign.kernels.bush_drivers` run them over origins.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


@nb.njit(cache=True, nogil=True)
def bush_labels(
    n_in: int,
    order: Int32Array,
    in_ptr: Int32Array,
    in_edge: Int32Array,
    in_flow: FloatArray,
    edge_tail: IntArray,
    edge_cost: FloatArray,
    min_flow: float,
    low: FloatArray,
    high: FloatArray,
    low_pred: IntArray,
    high_pred: IntArray,
    position: IntArray,
) -> float:
    """Shortest and longest-used path labels over one bush, in one topological pass.

    Parameters
    ----------
    n_in, order, in_ptr, in_edge, in_flow
        The bush (see module docstring); a slot is *used* when its flow exceeds
        ``min_flow``.
    edge_tail, edge_cost
        Tail node and cost of every edge of the class's graph.
    low, high, low_pred, high_pred, position
        Per node (written for bush nodes only): shortest label and the slot of its last
        edge, longest used label (``-inf`` without a used path) and its slot (-1 where
        none), and the node's position in ``order``.

    Returns
    -------
    float
        The bush's excess cost over its own shortest paths, Σ flow × (``low[i]`` + c −
        ``low[j]``) over its edges: a sum of non-negative terms, non-zero at merge nodes
        only.
    """
    origin = order[0]
    low[origin] = 0.0
    high[origin] = 0.0
    low_pred[origin] = -1
    high_pred[origin] = -1
    position[origin] = 0
    excess = 0.0
    for k in range(1, n_in):
        j = order[k]
        position[j] = k
        best = np.inf
        best_slot = -1
        worst = -np.inf
        worst_slot = -1
        for p in range(in_ptr[k], in_ptr[k + 1]):
            e = in_edge[p]
            i = edge_tail[e]
            c = edge_cost[e]
            value = low[i] + c
            if value < best:
                best = value
                best_slot = p
            if in_flow[p] > min_flow:
                value = high[i] + c
                if value > worst:
                    worst = value
                    worst_slot = p
        low[j] = best
        low_pred[j] = best_slot
        high[j] = worst
        high_pred[j] = worst_slot
        if in_ptr[k + 1] - in_ptr[k] > 1:
            for p in range(in_ptr[k], in_ptr[k + 1]):
                if in_flow[p] > 0.0:
                    e = in_edge[p]
                    excess += in_flow[p] * (low[edge_tail[e]] + edge_cost[e] - best)
    return excess


@nb.njit(cache=True, nogil=True)
def longest_labels(
    n_in: int,
    order: Int32Array,
    in_ptr: Int32Array,
    in_edge: Int32Array,
    edge_tail: IntArray,
    edge_cost: FloatArray,
    member: BoolArray,
    reach: FloatArray,
) -> None:
    """Longest path over the bush edges still marked in ``member`` (``-inf`` if none)."""
    reach[order[0]] = 0.0
    for k in range(1, n_in):
        worst = -np.inf
        for p in range(in_ptr[k], in_ptr[k + 1]):
            e = in_edge[p]
            if member[e]:
                value = reach[edge_tail[e]] + edge_cost[e]
                if value > worst:
                    worst = value
        reach[order[k]] = worst


@nb.njit(cache=True, nogil=True)
def correct_labels(
    origin: int, edge_start: IntArray, edge_head: IntArray, edge_cost: FloatArray,
    blocked: BoolArray, dist: FloatArray, queued: BoolArray, queue: IntArray,
) -> int:
    """Shortest paths on the whole graph, starting from the bush's labels.

    ``dist`` holds path costs through the bush (upper bounds; ``inf`` off the bush, which
    spans every reachable node) and is corrected in place: one scan of every edge in
    storage order, then a FIFO label-correcting search from the nodes it improved. Near
    equilibrium few labels change, so this is far cheaper than a heap search. ``queued`` and
    ``queue`` are scratch per node; ``blocked`` nodes other than ``origin`` are not passed
    through. Returns the number of labels improved by the scan.
    """
    n_nodes = queue.shape[0]
    count = 0
    for v in range(n_nodes):
        queued[v] = False
    for i in range(n_nodes):
        di = dist[i]
        if di == np.inf or (blocked[i] and i != origin):
            continue
        for e in range(edge_start[i], edge_start[i + 1]):
            j = edge_head[e]
            value = di + edge_cost[e]
            if value < dist[j]:
                dist[j] = value
                if not queued[j]:
                    queued[j] = True
                    queue[count] = j
                    count += 1
    improved = count
    head = 0
    while count > 0:
        i = queue[head]
        head = head + 1 if head + 1 < n_nodes else 0
        count -= 1
        queued[i] = False
        if blocked[i] and i != origin:
            continue
        di = dist[i]
        for e in range(edge_start[i], edge_start[i + 1]):
            j = edge_head[e]
            value = di + edge_cost[e]
            if value < dist[j]:
                dist[j] = value
                if not queued[j]:
                    queued[j] = True
                    tail = head + count
                    queue[tail if tail < n_nodes else tail - n_nodes] = j
                    count += 1
    return improved


@nb.njit(cache=True, nogil=True)
def rebalance_bush_flows(
    n_in: int,
    order: Int32Array,
    in_ptr: Int32Array,
    in_edge: Int32Array,
    in_flow: FloatArray,
    edge_tail: IntArray,
    low_pred: IntArray,
    demand: FloatArray,
    min_flow: float,
    node_flow: FloatArray,
) -> None:
    """Reload the origin's demand onto its bush with the current approach proportions.

    In reverse topological order every node's through flow (its demand plus what leaves it)
    is split over its bush in-edges in proportion to their current flow; in-edges carrying
    ``min_flow`` or less get none (flows below the threshold removed: left alone, such
    crumbs would keep long unused paths in the bush and block shortcuts). A node with
    through flow but no inflow (demand that changed) takes it on its shortest in-edge.
    Restores exact flow conservation after rounding or a change of demand.

    Parameters
    ----------
    demand
        Per node, the origin's demand to it (nodes of the bush).
    node_flow
        Scratch per node.
    """
    for k in range(n_in):
        node_flow[order[k]] = 0.0
    for k in range(n_in - 1, 0, -1):
        j = order[k]
        through = node_flow[j] + demand[j]
        kept = 0.0
        for p in range(in_ptr[k], in_ptr[k + 1]):
            if in_flow[p] > min_flow:
                kept += in_flow[p]
            else:
                in_flow[p] = 0.0
        if kept > 0.0:
            scale = through / kept
            for p in range(in_ptr[k], in_ptr[k + 1]):
                if in_flow[p] > 0.0:
                    in_flow[p] *= scale
                    node_flow[edge_tail[in_edge[p]]] += in_flow[p]
        elif through > 0.0:
            p = low_pred[j]
            in_flow[p] = through
            node_flow[edge_tail[in_edge[p]]] += through


@nb.njit(cache=True, nogil=True)
def tree_bush(
    n_settled: int,
    settled: IntArray,
    pred_edge: IntArray,
    edge_tail: IntArray,
    node_load: FloatArray,
    order: Int32Array,
    in_ptr: Int32Array,
    in_edge: Int32Array,
    in_flow: FloatArray,
) -> None:
    """A bush from a shortest-path tree (nodes in settling order), loaded all-or-nothing.

    ``node_load`` holds the demand per node on entry and is consumed (zero on exit).
    """
    in_ptr[0] = 0
    for q in range(n_settled):
        v = settled[q]
        order[q] = v
        if q > 0:
            in_ptr[q] = q - 1
            in_edge[q - 1] = pred_edge[v]
            in_flow[q - 1] = 0.0
    in_ptr[n_settled] = max(n_settled - 1, 0)
    for q in range(n_settled - 1, 0, -1):
        v = settled[q]
        load = node_load[v]
        node_load[v] = 0.0
        if load > 0.0:
            in_flow[q - 1] = load
            node_load[edge_tail[pred_edge[v]]] += load
    node_load[settled[0]] = 0.0

