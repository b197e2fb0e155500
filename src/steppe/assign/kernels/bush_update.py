"""Bush updates of Algorithm B: drop unused edges, add shortcuts, keep acyclic.

Why bushes stay acyclic: after unused edges are dropped, ``reach`` holds the longest path
over *all* remaining bush edges, so ``reach[j] >= reach[i] + c_ij >= reach[i]`` along every
bush edge (costs are non-negative). An edge ``(i, j)`` is only added when
``reach[i] < reach[j]`` strictly; around a cycle ``reach`` would have to rise strictly on
the added edge and never fall on the others — impossible. A node outside the bush has no
bush edges, so edges into it are safe too. (Shortcuts judged on the shortest labels alone
can close cycles: a bush edge ``(j, i)`` is allowed ``low[i] < low[j] + c_ji``.)

The same potential repairs the topological order: only the window of positions spanned by
added edges that run against it is re-sorted, by ``reach``.

Merge nodes first: flow shifts happen at merge nodes (two or more in-edges), along paths
through their ancestors only, so the passes of Algorithm B need labels for that part of a
bush alone — often a small share of a nearly tree-shaped bush. Updates therefore move the
merge nodes and their ancestors to the front of the order (``span`` nodes); the order stays
topological, since the ancestors of a marked node are marked.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from steppe.assign.kernels.bush import (
    bush_labels,
    longest_labels,
    rebalance_bush_flows,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


@nb.njit(cache=True, nogil=True)
def add_shortcuts(
    origin: int,
    edge_start: IntArray,
    edge_head: IntArray,
    edge_cost: FloatArray,
    blocked: BoolArray,
    low: FloatArray,
    best: FloatArray,
    reach: FloatArray,
    member: BoolArray,
    added: IntArray,
) -> int:
    """Mark edges that shorten paths and keep the bush acyclic; list them in ``added``.

    An edge ``(i, j)`` off the bush, leaving a bush node ``i`` that is the origin or open
    to through traffic, is added when ``j`` is not in the bush yet, or when it lies on a
    path to ``j`` shorter than the bush's (``best[i] + c < low[j]``) and goes up in
    ``reach`` (``reach[i] < reach[j]``). ``best`` is the bush's shortest label ``low`` or,
    better, the shortest path on the whole graph: then every edge of a better path is
    added at once, not one edge per update. ``low``/``reach`` are ``inf``/``-inf`` off the
    bush. Returns the number of edges added.
    """
    count = 0
    for i in range(edge_start.shape[0] - 1):
        if low[i] == np.inf or (blocked[i] and i != origin):
            continue
        reach_i = reach[i]
        best_i = best[i]
        for e in range(edge_start[i], edge_start[i + 1]):
            if member[e]:
                continue
            j = edge_head[e]
            if j == i:
                continue
            if low[j] == np.inf or (reach_i < reach[j] and best_i + edge_cost[e] < low[j]):
                member[e] = True
                added[count] = e
                count += 1
    return count


@nb.njit(cache=True, nogil=True)
def _extend_order(
    n_in: int,
    order: Int32Array,
    edge_tail: IntArray,
    edge_head: IntArray,
    low: FloatArray,
    reach: FloatArray,
    position: IntArray,
    added: IntArray,
    n_added: int,
) -> int:
    """Make ``order`` topological again after edges were added; returns the node count.

    Nodes new to the bush go last (their in-edges come from bush nodes). If added edges run
    against the order, the window of positions they span is sorted by ``reach`` (stable):
    every kept edge has ``reach[tail] <= reach[head]`` and every added one ``<`` strictly, and
    ties keep their old, valid relative order. ``position`` keeps the old positions.
    """
    n = n_in
    for q in range(n_added):
        j = edge_head[added[q]]
        if low[j] == np.inf:
            low[j] = -np.inf  # placed
            order[n] = j
            position[j] = n
            n += 1
    first = n_in
    last = -1
    for q in range(n_added):
        e = added[q]
        i = position[edge_tail[e]]
        j = position[edge_head[e]]
        if i >= j:
            first = min(first, j)
            last = max(last, i)
    if last >= first:
        window = order[first:last + 1].copy()
        keys = np.empty(window.shape[0])
        for r in range(window.shape[0]):
            keys[r] = reach[window[r]]
        rank = np.argsort(keys, kind="mergesort")
        for r in range(window.shape[0]):
            order[first + r] = window[rank[r]]
    return n


@nb.njit(cache=True, nogil=True)
def _relist(
    n_old: int,
    n_new: int,
    order: Int32Array,
    in_ptr: Int32Array,
    in_edge: Int32Array,
    in_flow: FloatArray,
    edge_head: IntArray,
    member: BoolArray,
    old_position: IntArray,
    new_position: IntArray,
    added: IntArray,
    n_added: int,
    staged_edge: Int32Array,
    staged_flow: FloatArray,
    staged_ptr: IntArray,
) -> None:
    """Lay the slots out again in ``order``: each node's kept edges, then its added ones."""
    for k in range(n_new):
        new_position[order[k]] = k
    heads = np.empty(n_added, dtype=np.int64)
    for q in range(n_added):
        heads[q] = new_position[edge_head[added[q]]]
    by_head = np.argsort(heads, kind="mergesort")
    p = 0
    q = 0
    for k in range(n_new):
        staged_ptr[k] = p
        old = old_position[order[k]]
        if old < n_old:
            for r in range(in_ptr[old], in_ptr[old + 1]):
                if member[in_edge[r]]:
                    staged_edge[p] = in_edge[r]
                    staged_flow[p] = in_flow[r]
                    p += 1
        while q < n_added and heads[by_head[q]] == k:
            staged_edge[p] = added[by_head[q]]
            staged_flow[p] = 0.0
            p += 1
            q += 1
    staged_ptr[n_new] = p
    in_ptr[:n_new + 1] = staged_ptr[:n_new + 1]
    in_edge[:p] = staged_edge[:p]
    in_flow[:p] = staged_flow[:p]


@nb.njit(cache=True, nogil=True)
def _merges_to_front(
    n_old: int,
    n_new: int,
    order: Int32Array,
    in_ptr: Int32Array,
    in_edge: Int32Array,
    edge_tail: IntArray,
    edge_head: IntArray,
    member: BoolArray,
    old_position: IntArray,
    added: IntArray,
    n_added: int,
    mark: BoolArray,
    add_first: IntArray,
    add_next: Int32Array,
    new_order: Int32Array,
) -> int:
    """Move merge nodes and their ancestors to the front of the order; return how many.

    ``order`` is topological for the updated bush: kept slots of the old layout plus
    ``added`` edges (see the module docstring).
    """
    for k in range(n_new):
        add_first[order[k]] = -1
        mark[order[k]] = False
    for q in range(n_added):
        j = edge_head[added[q]]
        add_next[q] = add_first[j]
        add_first[j] = q
    mark[order[0]] = True
    for k in range(n_new - 1, 0, -1):
        j = order[k]
        old = old_position[j]
        count = 0
        if old < n_old:
            for r in range(in_ptr[old], in_ptr[old + 1]):
                if member[in_edge[r]]:
                    count += 1
        q = add_first[j]
        while q >= 0:
            count += 1
            q = add_next[q]
        if count > 1 or mark[j]:
            mark[j] = True
            if old < n_old:
                for r in range(in_ptr[old], in_ptr[old + 1]):
                    if member[in_edge[r]]:
                        mark[edge_tail[in_edge[r]]] = True
            q = add_first[j]
            while q >= 0:
                mark[edge_tail[added[q]]] = True
                q = add_next[q]
    lead = 0
    for k in range(n_new):
        if mark[order[k]]:
            new_order[lead] = order[k]
            lead += 1
    rest = lead
    for k in range(n_new):
        if not mark[order[k]]:
            new_order[rest] = order[k]
            rest += 1
    order[:n_new] = new_order[:n_new]
    return lead


@nb.njit(cache=True, nogil=True)
def _mark_kept(
    n_in: int,
    order: Int32Array,
    in_ptr: Int32Array,
    in_edge: Int32Array,
    in_flow: FloatArray,
    low_pred: IntArray,
    member: BoolArray,
    dropped_out: bool,
) -> int:
    """Mark the bush edges that stay (used, or a node's shortest in-edge) as members.

    The dropped ones become non-members when ``dropped_out``, members otherwise. Returns
    the number dropped.
    """
    dropped = 0
    for k in range(1, n_in):
        shortest = low_pred[order[k]]
        for p in range(in_ptr[k], in_ptr[k + 1]):
            if in_flow[p] > 0.0 or p == shortest:
                member[in_edge[p]] = True
            else:
                member[in_edge[p]] = not dropped_out
                dropped += 1
    return dropped


@nb.njit(cache=True, nogil=True)
def update_bush(
    n_in: int,
    order: Int32Array,
    in_ptr: Int32Array,
    in_edge: Int32Array,
    in_flow: FloatArray,
    edge_start: IntArray,
    edge_head: IntArray,
    edge_tail: IntArray,
    blocked: BoolArray,
    edge_cost: FloatArray,
    demand: FloatArray,
    min_flow: float,
    low: FloatArray,
    high: FloatArray,
    low_pred: IntArray,
    high_pred: IntArray,
    position: IntArray,
    node_flow: FloatArray,
    member: BoolArray,
    added: IntArray,
    staged_edge: Int32Array,
    edge_flow: FloatArray,
    slot_start: IntArray,
    mark: BoolArray,
    new_order: Int32Array,
) -> tuple[int, int]:
    """Rebalance, drop unused edges, add shortcuts and keep the order topological.

    Computes the bush's labels, then :func:`reshape_bush` (see there for the result).
    ``staged_edge``/``edge_flow`` (per edge), ``slot_start`` (per node, plus one),
    ``mark`` and ``new_order`` (per node) are scratch.
    """
    for v in range(edge_start.shape[0] - 1):
        low[v] = np.inf
        high[v] = -np.inf
    bush_labels(n_in, order, in_ptr, in_edge, in_flow, edge_tail, edge_cost, np.inf,
                low, high, low_pred, high_pred, position)
    return reshape_bush(n_in, order, in_ptr, in_edge, in_flow, edge_start, edge_head,
                        edge_tail, blocked,
                        edge_cost, demand, min_flow, low, low, high, low_pred, high_pred,
                        position, node_flow, member, added, staged_edge, edge_flow,
                        slot_start, mark, new_order)


@nb.njit(cache=True, nogil=True)
def reshape_bush(
    n_in: int,
    order: Int32Array,
    in_ptr: Int32Array,
    in_edge: Int32Array,
    in_flow: FloatArray,
    edge_start: IntArray,
    edge_head: IntArray,
    edge_tail: IntArray,
    blocked: BoolArray,
    edge_cost: FloatArray,
    demand: FloatArray,
    min_flow: float,
    low: FloatArray,
    best: FloatArray,
    high: FloatArray,
    low_pred: IntArray,
    high_pred: IntArray,
    position: IntArray,
    node_flow: FloatArray,
    member: BoolArray,
    added: IntArray,
    staged_edge: Int32Array,
    edge_flow: FloatArray,
    slot_start: IntArray,
    mark: BoolArray,
    new_order: Int32Array,
) -> tuple[int, int]:
    """Update one bush, given its labels.

    ``low``/``low_pred``/``position`` come from
    :func:`steppe.assign.kernels.bush.bush_labels` (``low`` is ``inf`` off the bush);
    ``best`` is the shortest path on the whole graph, or ``low`` (see
    :func:`add_shortcuts`).

    Flows at or below ``min_flow`` are moved onto the other in-edges (rebalance), unused
    edges are dropped except each node's shortest in-edge, so every node stays reachable
    (an edge dropped is not added back in the same update), and shortcuts are added. The
    merge nodes and their ancestors are moved to the front of the order (see the module
    docstring). Returns the new number of bush nodes and of those leading nodes, the
    latter -1 when no edge was dropped or added (the layout is as it was).
    """
    rebalance_bush_flows(n_in, order, in_ptr, in_edge, in_flow, edge_tail, low_pred, demand,
                         min_flow, node_flow)
    member[:] = False
    removed = _mark_kept(n_in, order, in_ptr, in_edge, in_flow, low_pred, member, True)
    longest_labels(n_in, order, in_ptr, in_edge, edge_tail, edge_cost, member, high)
    if removed:
        _mark_kept(n_in, order, in_ptr, in_edge, in_flow, low_pred, member, False)
    n_added = add_shortcuts(order[0], edge_start, edge_head, edge_cost, blocked, low, best,
                            high, member, added)
    if removed:
        _mark_kept(n_in, order, in_ptr, in_edge, in_flow, low_pred, member, True)
    if n_added == 0 and removed == 0:
        return n_in, -1
    n_new = _extend_order(n_in, order, edge_tail, edge_head, low, high, position, added,
                          n_added)
    span = _merges_to_front(n_in, n_new, order, in_ptr, in_edge, edge_tail, edge_head,
                            member, position, added, n_added, mark, low_pred, staged_edge,
                            new_order)
    _relist(n_in, n_new, order, in_ptr, in_edge, in_flow, edge_head, member, position,
            high_pred, added, n_added, staged_edge, edge_flow, slot_start)
    return n_new, span
