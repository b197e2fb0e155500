"""Path kernels for the path-based (logit) stochastic user equilibrium.

Three layers, as everywhere in steppe's kernels:

* :func:`shortest_paths` — public wrapper: checks shapes, batches origins, returns the
  shortest path of every OD entry as a CSR of edges;
* :func:`_trees_driver` — parallel over a batch of origins, one scratch set per thread;
* :func:`_extract` — serial: walks predecessor edges back from each destination.

Plus :func:`extract_paths` (paths from ready trees) and :func:`logit_shares` (numerically
stable: costs are shifted by the OD minimum).
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from steppe.assign.kernels.paths import shortest_path_tree

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
BATCH_PER_THREAD = 16
"""Origins per thread and batch: bounds the predecessor scratch to batch × nodes."""


@nb.njit(cache=True, parallel=True)
def _trees_driver(
    edge_start: IntArray,
    edge_head: IntArray,
    edge_cost: FloatArray,
    blocked: BoolArray,
    origins: IntArray,
    n_threads: int,
    pred_out: IntArray,
    dist_out: FloatArray,
) -> None:
    n_nodes = edge_start.shape[0] - 1
    n_edges = edge_head.shape[0]
    n_batch = origins.shape[0]
    for t in nb.prange(n_threads):
        order = np.empty(n_nodes, dtype=np.int64)
        settled = np.empty(n_nodes, dtype=np.bool_)
        heap_key = np.empty(n_edges + 1)
        heap_node = np.empty(n_edges + 1, dtype=np.int64)
        mark = np.full(n_nodes, -1, dtype=np.int64)
        for i in range(t, n_batch, n_threads):
            shortest_path_tree(
                origins[i],
                edge_start,
                edge_head,
                edge_cost,
                blocked,
                mark,
                0,
                -1,
                dist_out[i],
                pred_out[i],
                order,
                settled,
                heap_key,
                heap_node,
            )


@nb.njit(cache=True)
def _lengths(
    pred: IntArray,
    dist: FloatArray,
    edge_tail: IntArray,
    first_origin: int,
    od_start: IntArray,
    od_dest: IntArray,
    origin_nodes: IntArray,
    od_len: IntArray,
    od_cost: FloatArray,
) -> int:
    """Path length (edges) of a batch's OD entries, -1 where unreachable; returns the sum."""
    total = 0
    for b in range(pred.shape[0]):
        i = first_origin + b
        for k in range(od_start[i], od_start[i + 1]):
            d = od_dest[k]
            od_cost[k] = dist[b, d]
            if not dist[b, d] < np.inf:
                od_len[k] = -1
                continue
            n = 0
            v = d
            while v != origin_nodes[i]:
                n += 1
                v = edge_tail[pred[b, v]]
            od_len[k] = n
            total += n
    return total


@nb.njit(cache=True)
def _extract(
    pred: IntArray,
    edge_tail: IntArray,
    first_origin: int,
    od_start: IntArray,
    od_dest: IntArray,
    od_len: IntArray,
    buffer: IntArray,
    used: int,
) -> int:
    """Write the batch's paths (origin first) into ``buffer`` from ``used``; returns the fill."""
    for b in range(pred.shape[0]):
        i = first_origin + b
        for k in range(od_start[i], od_start[i + 1]):
            n = od_len[k]
            if n <= 0:
                continue
            v = od_dest[k]
            for j in range(n - 1, -1, -1):
                e = pred[b, v]
                buffer[used + j] = e
                v = edge_tail[e]
            used += n
    return used


def extract_paths(
    pred: IntArray,
    dist: FloatArray,
    edge_tail: IntArray,
    origin_nodes: IntArray,
    od_start: IntArray,
    od_dest: IntArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Paths of every OD entry from full trees (row ``i`` of ``pred``/``dist``: origin ``i``).

    Returns the CSR start per OD entry, the edges of all paths (origin first) and the cost
    per OD entry (``inf`` where unreachable, with an empty path).
    """
    n_od = len(od_dest)
    od_len = np.zeros(n_od, dtype=np.int64)
    od_cost = np.full(n_od, np.inf)
    total = _lengths(pred, dist, edge_tail, 0, od_start, od_dest, origin_nodes, od_len, od_cost)
    buffer = np.empty(total, np.int64)
    _extract(pred, edge_tail, 0, od_start, od_dest, od_len, buffer, 0)
    path_start = np.zeros(n_od + 1, dtype=np.int64)
    np.cumsum(np.maximum(od_len, 0), out=path_start[1:])
    return path_start, buffer, od_cost


def shortest_paths(
    edge_start: IntArray,
    edge_tail: IntArray,
    edge_head: IntArray,
    edge_cost: FloatArray,
    blocked: BoolArray,
    origin_nodes: IntArray,
    od_start: IntArray,
    od_dest: IntArray,
    *,
    n_threads: int | None = None,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Shortest path (as edges, origin first) of every OD entry.

    Parameters
    ----------
    edge_start, edge_tail, edge_head
        CSR graph (node positions).
    edge_cost
        Non-negative, finite cost per edge.
    blocked
        Nodes no path may pass through.
    origin_nodes, od_start, od_dest
        OD table in CSR form by origin row (destinations as node positions).
    n_threads
        Threads; numba's current setting by default.

    Returns
    -------
    path_start : ndarray of int64
        CSR offsets per OD entry (an unreachable entry has an empty path).
    path_edges : ndarray of int64
        Edge positions of all paths.
    path_cost : ndarray of float64
        Shortest-path cost per OD entry (``inf`` where unreachable).
    """
    if edge_cost.shape != edge_head.shape:
        raise ValueError("edge_cost must have one value per edge")
    if np.any(edge_cost < 0) or not np.all(np.isfinite(edge_cost)):
        raise ValueError("edge costs must be finite and non-negative")
    threads = max(1, int(n_threads or nb.get_num_threads()))
    n_nodes = len(edge_start) - 1
    n_od = len(od_dest)
    od_len = np.zeros(n_od, dtype=np.int64)
    od_cost = np.full(n_od, np.inf)
    buffer = np.empty(1024, np.int64)
    used = 0
    batch = threads * BATCH_PER_THREAD
    cost = np.ascontiguousarray(edge_cost, dtype=np.float64)
    for first in range(0, len(origin_nodes), batch):
        origins = origin_nodes[first : first + batch]
        pred = np.empty((len(origins), n_nodes), dtype=np.int64)
        dist = np.empty((len(origins), n_nodes))
        _trees_driver(
            edge_start, edge_head, cost, blocked, origins, min(threads, len(origins)), pred, dist
        )
        need = used + _lengths(
            pred, dist, edge_tail, first, od_start, od_dest, origin_nodes, od_len, od_cost
        )
        if len(buffer) < need:
            buffer = np.concatenate([buffer, np.empty(max(need, 2 * len(buffer)), np.int64)])
        used = _extract(pred, edge_tail, first, od_start, od_dest, od_len, buffer, used)
    path_start = np.zeros(n_od + 1, dtype=np.int64)
    np.cumsum(np.maximum(od_len, 0), out=path_start[1:])
    return path_start, buffer[:used].copy(), od_cost


@nb.njit(cache=True)
def logit_shares(od_path_start: IntArray, path_cost: FloatArray, theta: float) -> FloatArray:
    """Multinomial-logit share of each path within its OD: ``exp(−θ c) / Σ exp(−θ c)``.

    ``theta`` is the dispersion (1 / cost unit); costs are shifted by the OD minimum so the
    exponentials never overflow. With ``theta = inf`` the cheapest paths share equally.
    """
    out = np.zeros(path_cost.shape[0])
    for od in range(od_path_start.shape[0] - 1):
        lo, hi = od_path_start[od], od_path_start[od + 1]
        if hi == lo:
            continue
        best = np.inf
        for p in range(lo, hi):
            if path_cost[p] < best:
                best = path_cost[p]
        total = 0.0
        for p in range(lo, hi):
            if theta == np.inf:
                w = 1.0 if path_cost[p] == best else 0.0
            else:
                w = np.exp(-theta * (path_cost[p] - best))
            out[p] = w
            total += w
        for p in range(lo, hi):
            out[p] /= total
    return out
