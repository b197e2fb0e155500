"""Algorithm B drivers: the loops over bushes (one per origin and class).

* :func:`initial_bushes` — serial: shortest-path tree per origin at current costs, loaded
  all-or-nothing, with exact cost updates after each origin (incremental loading);
* :func:`update_bushes` — parallel over origins: bush updates only read costs;
* :func:`sweep_bushes` — serial Newton shifts: bushes interact through link costs, and
  every shift sees the exact costs left by the previous one (classic Algorithm B);
* :func:`measure_gap` — parallel over origins: shortest paths on the whole graph and each
  bush's excess cost as a sum of non-negative terms ``flow × reduced cost``.

Graphs of all classes and all bushes are stored flat with offsets (:class:`ClassGraphs`,
:class:`Bushes`); node and edge ids inside a class are local to its graph.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np
import numpy.typing as npt

from steppe.assign.kernels.bush import bush_labels, correct_labels, tree_bush
from steppe.assign.kernels.bush_update import reshape_bush, update_bush
from steppe.assign.kernels.bush_shift import (
    EdgeCosts,
    LinkCosts,
    _set_link_flow,
    move_edge_flow,
    refresh_edge,
    shift_bush,
)
from steppe.assign.kernels.paths import shortest_path_tree

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


IMPROVEMENT = 1e-13
"""A bush is looked at for shortcuts when the shortest path to one of its nodes on the whole
graph is shorter than through the bush by more than this (relative)."""


class ClassGraphs(NamedTuple):
    """The routing graphs of all classes, flat.

    Class ``k`` has nodes ``0..n_k-1`` (per-node arrays at ``node_base[k]``), its forward
    and reverse stars at ``start_base[k]`` (``n_k + 1`` offsets each, local edge ids) and
    its edges at ``EdgeCosts.edge_base[k]``.
    """

    node_base: IntArray
    start_base: IntArray
    edge_start: IntArray
    edge_head: IntArray
    edge_tail: IntArray
    rev_start: IntArray
    rev_edge: IntArray
    blocked: BoolArray


class Bushes(NamedTuple):
    """All bushes, flat. Bush ``b`` belongs to class ``klass[b]`` and root ``origin[b]``.

    ``order``/``in_ptr``/``in_edge``/``in_flow`` (see :mod:`steppe.assign.kernels.bush`)
    start at ``order_base[b]``, ``ptr_base[b]`` and ``edge_base[b]``, sized for the class's
    whole graph; ``size[b]`` is the number of bush nodes, the first ``span[b]`` of them the
    merge nodes and their ancestors (see :func:`steppe.assign.kernels.bush.merges_first`). ``dest_*`` list the demand of the
    origin to reachable nodes, from ``dest_base[b]``.
    """

    klass: IntArray
    origin: IntArray
    size: IntArray
    span: IntArray
    order_base: IntArray
    ptr_base: IntArray
    edge_base: IntArray
    order: Int32Array
    in_ptr: Int32Array
    in_edge: Int32Array
    in_flow: FloatArray
    dest_base: IntArray
    dest_node: IntArray
    dest_volume: FloatArray


class Scratch(NamedTuple):
    """Per-thread work arrays, sized for the largest class graph."""

    low: FloatArray
    high: FloatArray
    dist: FloatArray
    low_pred: IntArray
    high_pred: IntArray
    position: IntArray
    node_flow: FloatArray
    demand: FloatArray
    member: BoolArray
    settled: BoolArray
    mark: IntArray
    heap_key: FloatArray
    heap_node: IntArray
    added: IntArray
    staged: Int32Array
    edge_flow: FloatArray
    slot_start: IntArray
    new_order: Int32Array


@nb.njit(cache=True, nogil=True)
def _scratch(n_nodes: int, n_edges: int) -> Scratch:
    return Scratch(
        np.full(n_nodes, np.inf), np.full(n_nodes, -np.inf), np.full(n_nodes, np.inf),
        np.full(n_nodes, -1, dtype=np.int64), np.full(n_nodes, -1, dtype=np.int64),
        np.zeros(n_nodes, dtype=np.int64), np.zeros(n_nodes), np.zeros(n_nodes),
        np.zeros(n_edges, dtype=np.bool_), np.zeros(n_nodes, dtype=np.bool_),
        np.full(n_nodes, -1, dtype=np.int64), np.empty(n_edges + 1),
        np.empty(n_edges + 1, dtype=np.int64), np.empty(n_edges, dtype=np.int64),
        np.empty(n_edges, dtype=np.int32), np.zeros(n_edges),
        np.empty(n_nodes + 1, dtype=np.int64), np.empty(n_nodes, dtype=np.int32),
    )


@nb.njit(cache=True, nogil=True)
def _class_star(graphs: ClassGraphs, k: int) -> tuple[IntArray, IntArray, BoolArray]:
    s0 = graphs.start_base[k]
    s1 = graphs.start_base[k + 1]
    return (graphs.edge_start[s0:s1], graphs.rev_start[s0:s1],
            graphs.blocked[graphs.node_base[k]:graphs.node_base[k + 1]])


@nb.njit(cache=True, nogil=True)
def _class_edges(
    graphs: ClassGraphs, edges: EdgeCosts, k: int
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    e0 = edges.edge_base[k]
    e1 = edges.edge_base[k + 1]
    return (graphs.edge_head[e0:e1], graphs.edge_tail[e0:e1], graphs.rev_edge[e0:e1],
            edges.cost[e0:e1])


@nb.njit(cache=True, nogil=True)
def _bush_arrays(
    bushes: Bushes, b: int, n_nodes: int, n_edges: int
) -> tuple[Int32Array, Int32Array, Int32Array, FloatArray]:
    o = bushes.order_base[b]
    p = bushes.ptr_base[b]
    e = bushes.edge_base[b]
    return (bushes.order[o:o + n_nodes], bushes.in_ptr[p:p + n_nodes + 1],
            bushes.in_edge[e:e + n_edges], bushes.in_flow[e:e + n_edges])


@nb.njit(cache=True)
def refresh_costs(edges: EdgeCosts, links: LinkCosts) -> None:
    """Recompute every link's time and derivative and every edge's cost from link flows."""
    for a in range(links.flow.shape[0]):
        _set_link_flow(links, a, links.flow[a])
    for g in range(edges.cost.shape[0]):
        refresh_edge(edges, links, g)


@nb.njit(cache=True)
def initial_bushes(
    graphs: ClassGraphs,
    edges: EdgeCosts,
    links: LinkCosts,
    bushes: Bushes,
    od_base: IntArray,
    od_dest: IntArray,
    od_volume: FloatArray,
    which: IntArray,
) -> None:
    """Shortest-path-tree bushes for the bushes listed in ``which``, loaded in that order.

    Each origin's demand (``od_*`` from ``od_base[b]``; unreachable destinations skipped)
    goes all-or-nothing onto its tree at the costs left by the origins before it.
    """
    n_max = 0
    m_max = 0
    for k in range(edges.edge_base.shape[0] - 1):
        n_max = max(n_max, graphs.node_base[k + 1] - graphs.node_base[k])
        m_max = max(m_max, edges.edge_base[k + 1] - edges.edge_base[k])
    s = _scratch(n_max, m_max)
    dist = s.low
    settled_order = s.position
    for b in which:
        k = bushes.klass[b]
        base = edges.edge_base[k]
        edge_start, _, blocked = _class_star(graphs, k)
        edge_head, edge_tail, _, edge_cost = _class_edges(graphs, edges, k)
        n_nodes = edge_start.shape[0] - 1
        order, in_ptr, in_edge, in_flow = _bush_arrays(bushes, b, n_nodes, edge_head.shape[0])
        origin = bushes.origin[b]
        n = shortest_path_tree(origin, edge_start, edge_head, edge_cost, blocked, s.mark, -2,
                               -1, dist, s.low_pred, settled_order, s.settled, s.heap_key,
                               s.heap_node)
        for q in range(od_base[b], od_base[b + 1]):
            d = od_dest[q]
            if d != origin and dist[d] < np.inf:
                s.node_flow[d] += od_volume[q]
        tree_bush(n, settled_order, s.low_pred, edge_tail, s.node_flow, order, in_ptr,
                  in_edge, in_flow)
        bushes.size[b] = n
        bushes.span[b] = min(n, 1)  # a tree has no merge nodes
        for p in range(max(n - 1, 0)):
            if in_flow[p] > 0.0:
                move_edge_flow(edges, links, base + in_edge[p], in_flow[p])


@nb.njit(cache=True, nogil=True)
def update_share(
    t: int, n_threads: int, graphs: ClassGraphs, edges: EdgeCosts, bushes: Bushes,
    which: BoolArray, min_share: float, n_max: int, m_max: int,
) -> int:
    """Update bushes ``t, t + n_threads, ...`` marked in ``which`` (one thread's share)."""
    s = _scratch(n_max, m_max)
    for b in range(t, bushes.klass.shape[0], n_threads):
        if bushes.size[b] == 0 or not which[b]:
            continue  # not built yet, or needs no update
        k = bushes.klass[b]
        edge_start, _, blocked = _class_star(graphs, k)
        edge_head, edge_tail, _, edge_cost = _class_edges(graphs, edges, k)
        n_nodes = edge_start.shape[0] - 1
        n_edges = edge_head.shape[0]
        order, in_ptr, in_edge, in_flow = _bush_arrays(bushes, b, n_nodes, n_edges)
        for q in range(bushes.dest_base[b], bushes.dest_base[b + 1]):
            s.demand[bushes.dest_node[q]] += bushes.dest_volume[q]
        n, span = update_bush(
            bushes.size[b], order, in_ptr, in_edge, in_flow, edge_start, edge_head,
            edge_tail, blocked, edge_cost, s.demand, min_share, s.low, s.high, s.low_pred,
            s.high_pred, s.position, s.node_flow, s.member[:n_edges], s.added, s.staged,
            s.edge_flow, s.slot_start, s.settled, s.new_order,
        )
        bushes.size[b] = n
        if span >= 0:
            bushes.span[b] = span
        for q in range(bushes.dest_base[b], bushes.dest_base[b + 1]):
            s.demand[bushes.dest_node[q]] = 0.0
    return 0


@nb.njit(cache=True, parallel=True)
def update_bushes(
    graphs: ClassGraphs, edges: EdgeCosts, bushes: Bushes, which: BoolArray,
    min_share: float, n_threads: int, n_max: int, m_max: int,
) -> None:
    """Update the bushes marked in ``which`` (rebalance, drop unused edges, add shortcuts,
    keep topological), in parallel: updates read costs and write only their own bush.
    (For one thread call :func:`update_share` directly: no thread pool is woken.)"""
    done = np.zeros(n_threads, dtype=np.int64)
    # per-thread work lives in a serial function: parfor bodies mishandle writes through
    # named-tuple fields
    for t in nb.prange(n_threads):
        done[t] = update_share(t, n_threads, graphs, edges, bushes, which, min_share, n_max,
                               m_max)


@nb.njit(cache=True)
def sweep_bushes(
    graphs: ClassGraphs,
    edges: EdgeCosts,
    links: LinkCosts,
    bushes: Bushes,
    active: BoolArray,
    min_flow: FloatArray,
    min_excess: FloatArray,
    excess: FloatArray,
    n_max: int,
) -> None:
    """One Algorithm B pass (labels + Newton shifts) over every ``active`` bush, in order.

    A bush whose excess is at most ``min_excess[b]`` is left as it is; ``excess[b]``
    receives the excess found (see :func:`steppe.assign.kernels.bush_shift.shift_bush`).
    """
    s = _scratch(n_max, n_max)  # node arrays only; a variable size avoids a recompile
    for b in range(bushes.klass.shape[0]):
        if not active[b]:
            continue
        k = bushes.klass[b]
        e0 = edges.edge_base[k]
        edge_tail = graphs.edge_tail[e0:edges.edge_base[k + 1]]
        n_nodes = graphs.node_base[k + 1] - graphs.node_base[k]
        order, in_ptr, in_edge, in_flow = _bush_arrays(bushes, b, n_nodes,
                                                       edge_tail.shape[0])
        excess[b] = shift_bush(
            bushes.span[b], order, in_ptr, in_edge, in_flow, edge_tail, e0, edges, links,
            min_flow[b], min_excess[b], s.low, s.high, s.low_pred, s.high_pred, s.position,
        )


@nb.njit(cache=True, nogil=True)
def gap_share(
    t: int, n_threads: int, graphs: ClassGraphs, edges: EdgeCosts, bushes: Bushes,
    update_above: FloatArray, min_share: float, n_max: int, m_max: int, excess: FloatArray,
    shortest: FloatArray,
) -> int:
    """Gap terms of bushes ``t, t + n_threads, ...`` (one thread's share), then the update of
    those whose excess is above ``update_above`` (their labels are at hand)."""
    s = _scratch(n_max, m_max)
    for b in range(t, bushes.klass.shape[0], n_threads):
        k = bushes.klass[b]
        edge_start, _, blocked = _class_star(graphs, k)
        edge_head, edge_tail, _, edge_cost = _class_edges(graphs, edges, k)
        n_nodes = edge_start.shape[0] - 1
        order, in_ptr, in_edge, in_flow = _bush_arrays(bushes, b, n_nodes,
                                                       edge_head.shape[0])
        n_in = bushes.size[b]
        low = s.low[:n_nodes]
        low[:] = np.inf
        s.high[:n_nodes] = -np.inf
        bush_labels(n_in, order, in_ptr, in_edge, in_flow, edge_tail, edge_cost, np.inf,
                    low, s.high, s.low_pred, s.high_pred, s.position)
        dist = s.dist[:n_nodes]
        dist[:] = low
        improved = correct_labels(n_in, order, edge_start, edge_head, edge_cost, blocked,
                                  dist, s.settled[:n_nodes], s.mark[:n_nodes])
        total = 0.0
        for q in range(bushes.dest_base[b], bushes.dest_base[b + 1]):
            total += bushes.dest_volume[q] * dist[bushes.dest_node[q]]
        above = 0.0
        for p in range(in_ptr[n_in]):
            if in_flow[p] > 0.0:
                e = in_edge[p]
                reduced = edge_cost[e] + dist[edge_tail[e]] - dist[edge_head[e]]
                if reduced > 0.0:
                    above += in_flow[p] * reduced
        shortest[b] = total
        excess[b] = above
        if above > update_above[b]:
            improvable = False
            for k in range(n_in if improved else 0):
                v = order[k]
                if dist[v] < low[v] * (1.0 - IMPROVEMENT):
                    improvable = True
                    break
            for q in range(bushes.dest_base[b], bushes.dest_base[b + 1]):
                s.demand[bushes.dest_node[q]] += bushes.dest_volume[q]
            n, span = reshape_bush(
                n_in, order, in_ptr, in_edge, in_flow, edge_start, edge_head, edge_tail,
                blocked,
                edge_cost, s.demand, min_share, low, dist, s.high, s.low_pred, s.high_pred,
                s.position, s.node_flow, s.member[:edge_head.shape[0]], s.added, s.staged,
                s.edge_flow, s.slot_start, s.settled, s.new_order, improvable,
            )
            bushes.size[b] = n
            if span >= 0:
                bushes.span[b] = span
            for q in range(bushes.dest_base[b], bushes.dest_base[b + 1]):
                s.demand[bushes.dest_node[q]] = 0.0
    return 0


@nb.njit(cache=True, parallel=True)
def measure_gap(
    graphs: ClassGraphs, edges: EdgeCosts, bushes: Bushes, update_above: FloatArray,
    min_share: float,
    n_threads: int, n_max: int, m_max: int, excess: FloatArray, shortest: FloatArray,
) -> None:
    """Per bush: ``shortest`` = Σ demand × shortest-path cost on the whole graph, and
    ``excess`` = Σ over bush edges of flow × reduced cost (each term ≥ 0), so that the
    bush's total cost is ``shortest + excess``. Shortest paths are found by correcting the
    bush's own labels (:func:`steppe.assign.kernels.bush.correct_labels`).

    Every bush whose excess is above ``update_above`` is then updated (rebalanced, unused
    edges dropped, shortcuts added; see
    :func:`steppe.assign.kernels.bush_update.reshape_bush`): the costs are the same, so the
    labels serve both. Parallel over bushes: each reads
    costs and writes only its own bush. For one thread call :func:`gap_share` directly.
    """
    done = np.zeros(n_threads, dtype=np.int64)
    for t in nb.prange(n_threads):
        done[t] = gap_share(t, n_threads, graphs, edges, bushes, update_above, min_share,
                            n_max, m_max, excess, shortest)


@nb.njit(cache=True)
def bush_reach(
    graphs: ClassGraphs, bushes: Bushes, od_base: IntArray, od_dest: IntArray,
    reached: BoolArray, n_max: int,
) -> None:
    """Per OD entry of each bush's origin: whether the destination is a bush node."""
    mark = np.full(n_max, -1, dtype=np.int64)
    for b in range(bushes.klass.shape[0]):
        o = bushes.order_base[b]
        for q in range(bushes.size[b]):
            mark[bushes.order[o + q]] = b
        for q in range(od_base[b], od_base[b + 1]):
            reached[q] = mark[od_dest[q]] == b


@nb.njit(cache=True, nogil=True)
def edge_flow_share(
    t: int, n_threads: int, edge_base: IntArray, bushes: Bushes, out: FloatArray
) -> int:
    """Add the flows of bushes ``t, t + n_threads, ...`` to ``out`` (per global edge)."""
    for b in range(t, bushes.klass.shape[0], n_threads):
        e0 = edge_base[bushes.klass[b]]
        s0 = bushes.edge_base[b]
        n_slots = bushes.in_ptr[bushes.ptr_base[b] + bushes.size[b]]
        for p in range(s0, s0 + n_slots):
            out[e0 + bushes.in_edge[p]] += bushes.in_flow[p]
    return 0


@nb.njit(cache=True, parallel=True)
def bush_edge_flows(edge_base: IntArray, bushes: Bushes, n_threads: int) -> FloatArray:
    """Total flow per global edge: the sum over bushes, one buffer per thread (for one
    thread call :func:`edge_flow_share` directly)."""
    buffers = np.zeros((n_threads, edge_base[-1]))
    done = np.zeros(n_threads, dtype=np.int64)
    for t in nb.prange(n_threads):
        done[t] = edge_flow_share(t, n_threads, edge_base, bushes, buffers[t])
    return buffers.sum(axis=0)
