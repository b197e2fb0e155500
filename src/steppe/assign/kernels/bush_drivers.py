"""Algorithm B drivers: the loops over bushes (one per origin and class).

* :func:`initial_bushes` — serial: shortest-path tree per origin at current costs, loaded
  all-or-nothing, with exact cost updates after each origin (incremental loading);
* :func:`sweep_bushes` — serial Newton shifts: bushes interact through link costs, and
  every shift sees the exact costs left by the previous one (classic Algorithm B); passes
  until the bushes' excess is small, checked on fresh estimates;
* :func:`measure_gap` — parallel over origins: shortest paths on the whole graph, each
  bush's excess cost as a sum of non-negative terms ``flow × reduced cost``, then the bush
  update (same costs, so the same labels serve both);
* :func:`update_bushes` — parallel over origins: bush updates only (warm starts);
* :func:`bush_edge_flows` — serial: total flow per edge (a streaming pass, too short to
  pay for waking threads).

Parallel drivers run one serial *share* per thread (bushes ``t, t + n_threads, …``) with
its own scratch; with one thread, call the share directly and no thread pool is woken.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from steppe.assign.kernels.bush import bush_labels, correct_labels, tree_bush
from steppe.assign.kernels.bush_layout import (
    Bushes,
    ClassGraphs,
    Scratch,
    bush_arrays,
    class_graph,
    scratch,
)
from steppe.assign.kernels.bush_shift import EdgeCosts, LinkCosts, move_edge_flow, shift_bush
from steppe.assign.kernels.bush_update import reshape_bush, update_bush
from steppe.assign.kernels.paths import shortest_path_tree

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

IMPROVEMENT = 1e-13
"""A bush is updated only when the shortest path to one of its nodes on the whole graph is
shorter than through the bush by more than this (relative): otherwise no shortcut exists,
and dropping its unused edges can wait."""


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
    n_max: int,
    m_max: int,
) -> None:
    """Shortest-path-tree bushes for the bushes listed in ``which``, loaded in that order.

    Each origin's demand (``od_*`` from ``od_base[b]``; unreachable destinations skipped)
    goes all-or-nothing onto its tree at the costs left by the origins before it, with
    exact cost updates (incremental loading: a far better start than free-flow trees, or
    batches of trees at the same costs, which pile onto the same roads).
    """
    s = scratch(n_max, m_max)
    dist = s.low
    settled_order = s.position
    for b in which:
        k = bushes.klass[b]
        edge_start, edge_head, edge_tail, blocked, edge_cost = class_graph(graphs, edges, k)
        order, in_ptr, in_edge, in_flow = bush_arrays(bushes, b, edge_start.shape[0] - 1,
                                                      edge_head.shape[0])
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
        base = edges.edge_base[k]
        for p in range(max(n - 1, 0)):
            if in_flow[p] > 0.0:
                move_edge_flow(edges, links, base + in_edge[p], in_flow[p])


@nb.njit(cache=True, nogil=True)
def _load_demand(bushes: Bushes, b: int, s: Scratch) -> float:
    """Put bush ``b``'s demand per node into ``s.demand``; returns its total."""
    volume = 0.0
    for q in range(bushes.dest_base[b], bushes.dest_base[b + 1]):
        s.demand[bushes.dest_node[q]] += bushes.dest_volume[q]
        volume += bushes.dest_volume[q]
    return volume


@nb.njit(cache=True, nogil=True)
def _clear_demand(bushes: Bushes, b: int, s: Scratch) -> None:
    for q in range(bushes.dest_base[b], bushes.dest_base[b + 1]):
        s.demand[bushes.dest_node[q]] = 0.0


@nb.njit(cache=True, nogil=True)
def update_share(
    t: int, n_threads: int, graphs: ClassGraphs, edges: EdgeCosts, bushes: Bushes,
    which: BoolArray, flow_eps: float, n_max: int, m_max: int,
) -> int:
    """Update bushes ``t, t + n_threads, …`` marked in ``which`` (one thread's share)."""
    s = scratch(n_max, m_max)
    for b in range(t, bushes.klass.shape[0], n_threads):
        if bushes.size[b] == 0 or not which[b]:
            continue  # not built yet, or needs no update
        edge_start, edge_head, edge_tail, blocked, edge_cost = class_graph(
            graphs, edges, bushes.klass[b])
        n_edges = edge_head.shape[0]
        order, in_ptr, in_edge, in_flow = bush_arrays(bushes, b, edge_start.shape[0] - 1,
                                                      n_edges)
        volume = _load_demand(bushes, b, s)
        n, span = update_bush(
            bushes.size[b], order, in_ptr, in_edge, in_flow, edge_start, edge_head,
            edge_tail, blocked, edge_cost, s.demand, flow_eps * max(volume, 1.0), s.low,
            s.high, s.low_pred, s.high_pred, s.position, s.node_flow, s.member[:n_edges],
            s.added, s.staged, s.edge_flow, s.slot_start, s.settled, s.new_order,
        )
        _clear_demand(bushes, b, s)
        bushes.size[b] = n
        if span >= 0:
            bushes.span[b] = span
    return 0


@nb.njit(cache=True, parallel=True)
def update_bushes(
    graphs: ClassGraphs, edges: EdgeCosts, bushes: Bushes, which: BoolArray,
    flow_eps: float, n_threads: int, n_max: int, m_max: int,
) -> None:
    """Update the bushes marked in ``which``, in parallel.

    See :func:`steppe.assign.kernels.bush_update.update_bush`; updates read costs and write
    only their own bush. Unused means carrying at most ``flow_eps`` × the origin's demand.
    """
    done = np.zeros(n_threads, dtype=np.int64)
    # per-thread work lives in a serial function: parfor bodies mishandle writes through
    # named-tuple fields
    for t in nb.prange(n_threads):
        done[t] = update_share(t, n_threads, graphs, edges, bushes, which, flow_eps, n_max,
                               m_max)


@nb.njit(cache=True, nogil=True)
def _sweep_pass(
    graphs: ClassGraphs,
    edges: EdgeCosts,
    links: LinkCosts,
    bushes: Bushes,
    active: BoolArray,
    min_flow: FloatArray,
    min_excess: FloatArray,
    excess: FloatArray,
    s: Scratch,
) -> int:
    """One Algorithm B pass (labels + Newton shifts) over every ``active`` bush, in order.

    A bush whose excess is at most ``min_excess[b]`` is left as it is; ``excess[b]``
    receives the excess found (see :func:`steppe.assign.kernels.bush_shift.shift_bush`).
    Returns the last bush that shifted flow (-1 if none).
    """
    last = -1
    for b in range(bushes.klass.shape[0]):
        if not active[b]:
            continue
        k = bushes.klass[b]
        e0 = edges.edge_base[k]
        edge_tail = graphs.edge_tail[e0:edges.edge_base[k + 1]]
        n_nodes = graphs.node_base[k + 1] - graphs.node_base[k]
        order, in_ptr, in_edge, in_flow = bush_arrays(bushes, b, n_nodes, edge_tail.shape[0])
        excess[b] = shift_bush(
            bushes.span[b], order, in_ptr, in_edge, in_flow, edge_tail, e0, edges, links,
            min_flow[b], min_excess[b], s.low, s.high, s.low_pred, s.high_pred, s.position,
        )
        if excess[b] > min_excess[b]:
            last = b
    return last


@nb.njit(cache=True, nogil=True)
def _still_fresh(active: BoolArray, last: int, fresh: BoolArray) -> None:
    """Which excess estimates still hold after a pass over ``active`` (in place).

    A swept bush's estimate is taken before its own shifts: it holds if no bush shifted
    at or after it in the pass (``last``). Without any shift, every estimate that held
    still holds; after one, none taken before it does.
    """
    for b in range(active.shape[0]):
        if last < 0:
            fresh[b] = fresh[b] or active[b]
        else:
            fresh[b] = active[b] and b > last


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
    total_excess: float,
    max_passes: int,
    max_work: int,
    n_max: int,
) -> int:
    """Passes over the bushes until their excess totals at most ``total_excess``.

    ``active`` marks the bushes to sweep first and ``excess`` holds an estimate for the
    others (written by every pass, see :func:`_sweep_pass`); after each pass only bushes
    above ``min_excess`` stay active. An estimate is trusted only while no shift came
    after it: bushes share links, so a shift in one can raise another's excess (two
    origins competing for one bottleneck hand the excess back and forth). So when the
    estimates are small, the bushes whose estimates are stale are swept once more (a
    *check*, which also shifts those found above ``min_excess``); the sweeps stop when
    a check, too, finds the total small, or after ``max_passes`` passes or ``max_work``
    bush passes. Returns the bush passes done.
    """
    s = scratch(n_max, n_max)  # node arrays only; a variable size avoids a recompile
    fresh = ~active  # measured at the current flows
    work = 0
    check = False
    for _ in range(max_passes):
        if work >= max_work:
            break
        settled = not active.any() or excess.sum() <= total_excess
        if settled and (check or fresh.all()):
            break
        check = settled
        if check:
            active[:] = ~fresh
        last = _sweep_pass(graphs, edges, links, bushes, active, min_flow, min_excess,
                           excess, s)
        work += active.sum()
        _still_fresh(active, last, fresh)
        active &= excess > min_excess
    return work


@nb.njit(cache=True, nogil=True)
def _gap_terms(
    bushes: Bushes, b: int, in_edge: Int32Array, in_flow: FloatArray, n_slots: int,
    edge_tail: IntArray, edge_head: IntArray, edge_cost: FloatArray, dist: FloatArray,
) -> tuple[float, float]:
    """Σ demand × shortest cost, and Σ flow × reduced cost (terms ≥ 0) of bush ``b``."""
    shortest = 0.0
    for q in range(bushes.dest_base[b], bushes.dest_base[b + 1]):
        shortest += bushes.dest_volume[q] * dist[bushes.dest_node[q]]
    excess = 0.0
    for p in range(n_slots):
        if in_flow[p] > 0.0:
            e = in_edge[p]
            reduced = edge_cost[e] + dist[edge_tail[e]] - dist[edge_head[e]]
            if reduced > 0.0:
                excess += in_flow[p] * reduced
    return shortest, excess


@nb.njit(cache=True, nogil=True)
def _improvable(n_in: int, order: Int32Array, low: FloatArray, dist: FloatArray) -> bool:
    for k in range(n_in):
        v = order[k]
        if dist[v] < low[v] * (1.0 - IMPROVEMENT):
            return True
    return False


@nb.njit(cache=True, nogil=True)
def gap_share(
    t: int, n_threads: int, graphs: ClassGraphs, edges: EdgeCosts, bushes: Bushes,
    update_above: FloatArray, flow_eps: float, n_max: int, m_max: int, excess: FloatArray,
    shortest: FloatArray,
) -> int:
    """Gap terms of bushes ``t, t + n_threads, …`` (one thread's share).

    Then the update of those whose excess is above ``update_above``.
    """
    s = scratch(n_max, m_max)
    for b in range(t, bushes.klass.shape[0], n_threads):
        edge_start, edge_head, edge_tail, blocked, edge_cost = class_graph(
            graphs, edges, bushes.klass[b])
        n_nodes = edge_start.shape[0] - 1
        n_edges = edge_head.shape[0]
        order, in_ptr, in_edge, in_flow = bush_arrays(bushes, b, n_nodes, n_edges)
        n_in = bushes.size[b]
        low = s.low[:n_nodes]
        low[:] = np.inf
        s.high[:n_nodes] = -np.inf
        bush_labels(n_in, order, in_ptr, in_edge, in_flow, edge_tail, edge_cost, np.inf,
                    low, s.high, s.low_pred, s.high_pred, s.position)
        dist = s.dist[:n_nodes]
        dist[:] = low
        improved = correct_labels(bushes.origin[b], edge_start, edge_head, edge_cost, blocked,
                                  dist, s.settled[:n_nodes], s.mark[:n_nodes])
        shortest[b], excess[b] = _gap_terms(bushes, b, in_edge, in_flow, in_ptr[n_in],
                                            edge_tail, edge_head, edge_cost, dist)
        if excess[b] <= update_above[b]:
            continue
        if improved == 0 or not _improvable(n_in, order, low, dist):
            continue  # no shortcut can exist; dropping unused edges can wait
        volume = _load_demand(bushes, b, s)
        n, span = reshape_bush(
            n_in, order, in_ptr, in_edge, in_flow, edge_start, edge_head, edge_tail, blocked,
            edge_cost, s.demand, flow_eps * max(volume, 1.0), low, dist, s.high, s.low_pred,
            s.high_pred, s.position, s.node_flow, s.member[:n_edges], s.added, s.staged,
            s.edge_flow, s.slot_start, s.settled, s.new_order,
        )
        _clear_demand(bushes, b, s)
        bushes.size[b] = n
        if span >= 0:
            bushes.span[b] = span
    return 0


@nb.njit(cache=True, parallel=True)
def measure_gap(
    graphs: ClassGraphs, edges: EdgeCosts, bushes: Bushes, update_above: FloatArray,
    flow_eps: float, n_threads: int, n_max: int, m_max: int, excess: FloatArray,
    shortest: FloatArray,
) -> None:
    """Gap terms of every bush, then updates, in parallel over bushes.

    Per bush: ``shortest`` = Σ demand × shortest-path cost on the whole graph, and
    ``excess`` = Σ over bush edges of flow × reduced cost (each term ≥ 0), so that the
    bush's total cost is ``shortest + excess``. Shortest paths are found by correcting the
    bush's own labels (:func:`steppe.assign.kernels.bush.correct_labels`).

    Every bush whose excess is above ``update_above`` and that has a shortcut to add is then
    updated (see :func:`steppe.assign.kernels.bush_update.reshape_bush`; shortcuts judged on
    the shortest paths just found). Parallel over bushes: each reads costs and writes only
    its own bush.
    """
    done = np.zeros(n_threads, dtype=np.int64)
    for t in nb.prange(n_threads):
        done[t] = gap_share(t, n_threads, graphs, edges, bushes, update_above, flow_eps,
                            n_max, m_max, excess, shortest)


@nb.njit(cache=True)
def bush_reach(
    bushes: Bushes, od_base: IntArray, od_dest: IntArray, reached: BoolArray, n_max: int,
) -> None:
    """Per OD entry of each bush's origin: whether the destination is a bush node."""
    mark = np.full(n_max, -1, dtype=np.int64)
    for b in range(bushes.klass.shape[0]):
        o = bushes.order_base[b]
        for q in range(bushes.size[b]):
            mark[bushes.order[o + q]] = b
        for q in range(od_base[b], od_base[b + 1]):
            reached[q] = mark[od_dest[q]] == b


@nb.njit(cache=True)
def bush_edge_flows(edge_base: IntArray, bushes: Bushes, out: FloatArray) -> None:
    """Add every bush's flows to ``out`` (per global edge)."""
    for b in range(bushes.klass.shape[0]):
        e0 = edge_base[bushes.klass[b]]
        s0 = bushes.edge_base[b]
        for p in range(s0, s0 + bushes.in_ptr[bushes.ptr_base[b] + bushes.size[b]]):
            out[e0 + bushes.in_edge[p]] += bushes.in_flow[p]
