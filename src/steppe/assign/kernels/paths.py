"""Shortest-path trees and all-or-nothing loading on a CSR graph.

Three layers, as everywhere in steppe's kernels:

* :func:`shortest_path_tree` / :func:`load_tree` — serial kernels for one origin;
* :func:`_aon_driver` — parallel over origins, one flow buffer per thread, reduced at the end;
* :func:`all_or_nothing` — the public wrapper that checks shapes and preallocates.

The tree stores the predecessor *edge* of every node (parallel edges exist), and centroids
marked ``blocked`` are settled but never relaxed, so no path passes through them.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@nb.njit(cache=True, nogil=True, inline="always")
def _heap_push(heap_key: FloatArray, heap_node: IntArray, size: int, key: float, node: int) -> int:
    """Insert into a 4-ary min-heap; returns the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if heap_key[parent] <= key:
            break
        heap_key[i] = heap_key[parent]
        heap_node[i] = heap_node[parent]
        i = parent
    heap_key[i] = key
    heap_node[i] = node
    return size + 1


@nb.njit(cache=True, nogil=True, inline="always")
def _heap_pop(heap_key: FloatArray, heap_node: IntArray, size: int) -> int:
    """Remove the root of a 4-ary min-heap (the caller has read it); returns the new size."""
    size -= 1
    if size == 0:
        return 0
    last_key = heap_key[size]
    last_node = heap_node[size]
    i = 0
    while True:
        first = 4 * i + 1
        if first >= size:
            break
        best = first
        best_key = heap_key[first]
        for child in range(first + 1, min(first + 4, size)):
            if heap_key[child] < best_key:
                best_key = heap_key[child]
                best = child
        if best_key >= last_key:
            break
        heap_key[i] = best_key
        heap_node[i] = heap_node[best]
        i = best
    heap_key[i] = last_key
    heap_node[i] = last_node
    return size


@nb.njit(cache=True, nogil=True)
def grow_tree(
    origin: int,
    edge_start: IntArray,
    edge_head: IntArray,
    edge_cost: FloatArray,
    blocked: BoolArray,
    target_mark: IntArray,
    stamp: int,
    n_targets: int,
    skip_leaves: bool,
    dist: FloatArray,
    pred: IntArray,
    order: IntArray,
    heap_key: FloatArray,
    heap_node: IntArray,
) -> int:
    """Label-setting shortest-path tree from one origin (Dijkstra, lazy 4-ary heap).

    A heap entry is stale when its key exceeds the node's label (labels only fall, and a
    node is pushed only on a strict improvement), so no "settled" flags are kept.

    Parameters
    ----------
    origin
        Node position of the root.
    edge_start, edge_head, edge_cost
        CSR graph and non-negative edge costs.
    blocked
        Nodes that are settled but not expanded (except the origin).
    target_mark, stamp, n_targets
        Target marking for early exit: stop once ``n_targets`` nodes with
        ``target_mark == stamp`` are settled; ``n_targets = -1`` builds the full tree.
    skip_leaves
        Leave blocked nodes that are not targets out of the heap and of ``order``: they end
        no path that is asked for and lead nowhere (all-or-nothing loading needs only
        the targets' labels; their labels and predecessors are still set).
    dist, pred, order
        Scratch of length ``n_nodes``. On return ``dist`` holds labels (``inf`` where not
        reached), ``pred`` the predecessor edge (-1 at the root; stale where not reached)
        and ``order[:n]`` the settled nodes in settling order.
    heap_key, heap_node
        Heap scratch with room for ``n_edges + 1`` entries.

    Returns
    -------
    int
        Number of settled nodes ``n``.
    """
    for v in range(dist.shape[0]):
        dist[v] = np.inf
    dist[origin] = 0.0
    pred[origin] = -1
    size = _heap_push(heap_key, heap_node, 0, 0.0, origin)
    n_settled = 0
    remaining = n_targets
    while size > 0:
        du = heap_key[0]
        u = heap_node[0]
        size = _heap_pop(heap_key, heap_node, size)
        if du > dist[u]:
            continue  # stale entry
        order[n_settled] = u
        n_settled += 1
        if target_mark[u] == stamp:
            remaining -= 1
            if remaining == 0:
                break
        if blocked[u] and u != origin:
            continue
        for e in range(edge_start[u], edge_start[u + 1]):
            v = edge_head[e]
            nd = du + edge_cost[e]
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = e
                if skip_leaves and blocked[v] and target_mark[v] != stamp:
                    continue
                size = _heap_push(heap_key, heap_node, size, nd, v)
    return n_settled


@nb.njit(cache=True, nogil=True)
def shortest_path_tree(
    origin: int,
    edge_start: IntArray,
    edge_head: IntArray,
    edge_cost: FloatArray,
    blocked: BoolArray,
    target_mark: IntArray,
    stamp: int,
    n_targets: int,
    dist: FloatArray,
    pred: IntArray,
    order: IntArray,
    settled: BoolArray,
    heap_key: FloatArray,
    heap_node: IntArray,
) -> int:
    """Shortest-path tree from one origin, with every reached node settled.

    :func:`grow_tree` without leaving leaves out; on return ``settled`` marks the nodes in
    ``order[:n]`` and ``pred`` is -1 at the root and at unreached nodes.

    Returns
    -------
    int
        Number of settled nodes ``n``.
    """
    n = grow_tree(origin, edge_start, edge_head, edge_cost, blocked, target_mark, stamp,
                  n_targets, False, dist, pred, order, heap_key, heap_node)
    for v in range(dist.shape[0]):
        settled[v] = False
        if dist[v] == np.inf:
            pred[v] = -1
    for q in range(n):
        settled[order[q]] = True
    return n


@nb.njit(cache=True, nogil=True)
def load_tree(
    n_settled: int,
    order: IntArray,
    pred: IntArray,
    edge_tail: IntArray,
    node_load: FloatArray,
    edge_flow: FloatArray,
) -> None:
    """Cascade node loads down the tree onto edges, leaves first.

    ``node_load`` holds the demand to each destination on entry and is zero on exit.
    """
    for i in range(n_settled - 1, 0, -1):
        v = order[i]
        load = node_load[v]
        if load != 0.0:
            e = pred[v]
            edge_flow[e] += load
            node_load[edge_tail[e]] += load
            node_load[v] = 0.0
    node_load[order[0]] = 0.0


@nb.njit(cache=True, parallel=True)
def _aon_driver(
    edge_start: IntArray,
    edge_head: IntArray,
    edge_tail: IntArray,
    edge_cost: FloatArray,
    blocked: BoolArray,
    origin_nodes: IntArray,
    od_start: IntArray,
    od_dest: IntArray,
    od_volume: FloatArray,
    n_threads: int,
    edge_flow_out: FloatArray,
    origin_cost: FloatArray,
    od_reached: BoolArray,
) -> None:
    n_nodes = edge_start.shape[0] - 1
    n_edges = edge_head.shape[0]
    n_origins = origin_nodes.shape[0]
    buffers = np.zeros((n_threads, n_edges))
    for t in nb.prange(n_threads):
        dist = np.empty(n_nodes)
        pred = np.empty(n_nodes, dtype=np.int64)
        order = np.empty(n_nodes, dtype=np.int64)
        heap_key = np.empty(n_edges + 1)
        heap_node = np.empty(n_edges + 1, dtype=np.int64)
        mark = np.full(n_nodes, -1, dtype=np.int64)
        node_load = np.zeros(n_nodes)
        flow = buffers[t]
        for i in range(t, n_origins, n_threads):
            n_targets = 0
            for k in range(od_start[i], od_start[i + 1]):
                if mark[od_dest[k]] != i:
                    mark[od_dest[k]] = i
                    n_targets += 1
            n = grow_tree(
                origin_nodes[i],
                edge_start,
                edge_head,
                edge_cost,
                blocked,
                mark,
                i,
                n_targets,
                True,
                dist,
                pred,
                order,
                heap_key,
                heap_node,
            )
            cost = 0.0
            for k in range(od_start[i], od_start[i + 1]):
                d = od_dest[k]
                if dist[d] < np.inf:
                    node_load[d] += od_volume[k]
                    cost += od_volume[k] * dist[d]
                    od_reached[k] = True
                else:
                    od_reached[k] = False
            origin_cost[i] = cost
            load_tree(n, order, pred, edge_tail, node_load, flow)
    for e in range(n_edges):
        total = 0.0
        for t in range(n_threads):
            total += buffers[t, e]
        edge_flow_out[e] = total


def all_or_nothing(
    edge_start: IntArray,
    edge_head: IntArray,
    edge_tail: IntArray,
    edge_cost: FloatArray,
    blocked: BoolArray,
    origin_nodes: IntArray,
    od_start: IntArray,
    od_dest: IntArray,
    od_volume: FloatArray,
    *,
    n_threads: int | None = None,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Load every origin's demand on its shortest-path tree.

    Parameters
    ----------
    edge_start, edge_head, edge_tail
        CSR graph (node positions).
    edge_cost
        Non-negative cost per edge.
    blocked
        Nodes no path may pass through.
    origin_nodes
        Node position of each origin row of the OD table.
    od_start, od_dest, od_volume
        OD table in CSR form by origin row: destinations (node positions) and volumes.
    n_threads
        Threads to use; numba's current setting by default.

    Returns
    -------
    edge_flow : ndarray
        Flow per edge.
    origin_cost : ndarray
        Σ volume × shortest-path cost, per origin row (reached destinations only).
    od_reached : ndarray of bool
        Per OD entry, whether a path exists.
    """
    if edge_cost.shape != edge_head.shape:
        raise ValueError("edge_cost must have one value per edge")
    if np.any(edge_cost < 0) or not np.all(np.isfinite(edge_cost)):
        raise ValueError("edge costs must be finite and non-negative")
    threads = int(n_threads or nb.get_num_threads())
    threads = max(1, min(threads, max(1, len(origin_nodes))))
    edge_flow = np.zeros(len(edge_head))
    origin_cost = np.zeros(len(origin_nodes))
    od_reached = np.zeros(len(od_dest), dtype=np.bool_)
    _aon_driver(
        edge_start,
        edge_head,
        edge_tail,
        np.ascontiguousarray(edge_cost, dtype=np.float64),
        blocked,
        origin_nodes,
        od_start,
        od_dest,
        od_volume,
        threads,
        edge_flow,
        origin_cost,
        od_reached,
    )
    return edge_flow, origin_cost, od_reached
