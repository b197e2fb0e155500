"""Flat storage of Algorithm B: the graphs of all classes, all bushes, per-thread scratch.

Node and edge ids inside a class are local to its routing graph; every class's arrays sit
at offsets in shared flat arrays, so the drivers take a fixed set of arguments however many
classes there are. The helpers here hand out one class's or one bush's views.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np
import numpy.typing as npt

from steppe.assign.kernels.bush_shift import EdgeCosts

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


class ClassGraphs(NamedTuple):
    """The routing graphs of all classes, flat.

    Class ``k`` has nodes ``0..n_k-1`` (``blocked`` at ``node_base[k]``), its forward star
    at ``start_base[k]`` (``n_k + 1`` offsets, local edge ids) and its edges at
    ``EdgeCosts.edge_base[k]``.
    """

    node_base: IntArray
    start_base: IntArray
    edge_start: IntArray
    edge_head: IntArray
    edge_tail: IntArray
    blocked: BoolArray


class Bushes(NamedTuple):
    """All bushes, flat. Bush ``b`` belongs to class ``klass[b]`` and root ``origin[b]``.

    ``order``/``in_ptr``/``in_edge``/``in_flow`` (see :mod:`steppe.assign.kernels.bush`)
    start at ``order_base[b]``, ``ptr_base[b]`` and ``edge_base[b]``, sized for the class's
    whole graph; ``size[b]`` is the number of bush nodes, the first ``span[b]`` of them the
    merge nodes and their ancestors (see :mod:`steppe.assign.kernels.bush_update`).
    ``dest_*`` list the demand of the origin to reachable nodes, from ``dest_base[b]``.
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
def scratch(n_nodes: int, n_edges: int) -> Scratch:
    """Work arrays for graphs of up to ``n_nodes`` nodes and ``n_edges`` edges."""
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
def class_graph(
    graphs: ClassGraphs, edges: EdgeCosts, k: int
) -> tuple[IntArray, IntArray, IntArray, BoolArray, FloatArray]:
    """Class ``k``'s forward star, edge heads and tails, blocked nodes and edge costs."""
    s0 = graphs.start_base[k]
    e0 = edges.edge_base[k]
    e1 = edges.edge_base[k + 1]
    return (graphs.edge_start[s0:graphs.start_base[k + 1]], graphs.edge_head[e0:e1],
            graphs.edge_tail[e0:e1], graphs.blocked[graphs.node_base[k]:graphs.node_base[k + 1]],
            edges.cost[e0:e1])


@nb.njit(cache=True, nogil=True)
def bush_arrays(
    bushes: Bushes, b: int, n_nodes: int, n_edges: int
) -> tuple[Int32Array, Int32Array, Int32Array, FloatArray]:
    """Bush ``b``'s ``order``, ``in_ptr``, ``in_edge`` and ``in_flow`` (full capacity)."""
    o = bushes.order_base[b]
    p = bushes.ptr_base[b]
    e = bushes.edge_base[b]
    return (bushes.order[o:o + n_nodes], bushes.in_ptr[p:p + n_nodes + 1],
            bushes.in_edge[e:e + n_edges], bushes.in_flow[e:e + n_edges])
