"""Newton flow shifts of Algorithm B with exact cost updates.

Costs live at two levels. Links (network link rows) carry the total flow of all classes and
their BPR time and derivative (:class:`LinkCosts`). Every class routes on its own graph of
edges, each a chain of links (:class:`EdgeCosts`, all classes' edges numbered globally): an
edge's cost is the sum of its links' times plus the class's fixed cost, its derivative the
sum of its links' derivatives. A shift on an edge moves the flow of every link of the
chain, then refreshes the time of those links and the cost of every edge (of any class)
that contains them — so the next shift, of any origin, sees exact costs.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np
import numpy.typing as npt

from steppe.assign.kernels.bush import bush_labels
from steppe.assign.kernels.costs import ratio_power

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]


class LinkCosts(NamedTuple):
    """Per network link row: cost parameters, total flow, time and d(time)/d(flow).

    Time is BPR plus, where ``hard_capacity`` is finite, the augmented-Lagrangian term
    ``max(0, multiplier + penalty_weight·(x − hard_capacity))`` of
    :mod:`steppe.assign.kernels.penalty` (hard capacities, solved around this solver).
    """

    t0: FloatArray
    capacity: FloatArray
    alpha: FloatArray
    beta: FloatArray
    hard_capacity: FloatArray
    multiplier: FloatArray
    penalty_weight: FloatArray
    flow: FloatArray
    time: FloatArray
    derivative: FloatArray


class EdgeCosts(NamedTuple):
    """Routing edges of all classes, numbered globally.

    Class ``k`` owns ``edge_base[k]:edge_base[k + 1]``. ``link_start``/``links`` list each
    edge's links; ``link_edge[k * n_links + a]`` is the global edge of class ``k`` that
    holds link ``a`` (-1 if none). ``fixed`` is the class's flow-independent cost of the
    edge; ``cost`` and ``derivative`` are kept current.
    """

    edge_base: IntArray
    link_start: IntArray
    links: IntArray
    link_edge: IntArray
    fixed: FloatArray
    cost: FloatArray
    derivative: FloatArray


@nb.njit(cache=True, nogil=True, inline="always")
def _set_link_flow(links: LinkCosts, a: int, x: float) -> None:
    """Set a link's flow and recompute its time and derivative."""
    if x < 0.0:
        x = 0.0  # rounding of a flow that was shifted away entirely
    links.flow[a] = x
    t0 = links.t0[a]
    alpha = links.alpha[a]
    beta = links.beta[a]
    capacity = links.capacity[a]
    congestion = t0 * alpha * ratio_power(x, capacity, beta)
    time = t0 + congestion
    # t0·α·β·(x/cap)^(β−1)/cap = congestion·β/x: one power per update, not two
    derivative = congestion * beta / x if x > 0.0 else 0.0
    hard = links.hard_capacity[a]
    if hard != np.inf:
        excess = links.multiplier[a] + links.penalty_weight[a] * (x - hard)
        if excess > 0.0:
            time += excess
            derivative += links.penalty_weight[a]
    links.time[a] = time
    links.derivative[a] = derivative


@nb.njit(cache=True, nogil=True, inline="always")
def refresh_edge(edges: EdgeCosts, links: LinkCosts, g: int) -> None:
    """Recompute cost and derivative of global edge ``g`` from its links."""
    cost = edges.fixed[g]
    derivative = 0.0
    for q in range(edges.link_start[g], edges.link_start[g + 1]):
        a = edges.links[q]
        cost += links.time[a]
        derivative += links.derivative[a]
    edges.cost[g] = cost
    edges.derivative[g] = derivative


@nb.njit(cache=True, nogil=True)
def move_edge_flow(edges: EdgeCosts, links: LinkCosts, g: int, delta: float) -> None:
    """Add ``delta`` to the total flow of every link of global edge ``g``; refresh costs."""
    n_classes = edges.edge_base.shape[0] - 1
    n_links = links.flow.shape[0]
    for q in range(edges.link_start[g], edges.link_start[g + 1]):
        a = edges.links[q]
        _set_link_flow(links, a, links.flow[a] + delta)
    refresh_edge(edges, links, g)
    if n_classes > 1:
        for q in range(edges.link_start[g], edges.link_start[g + 1]):
            a = edges.links[q]
            for k in range(n_classes):
                other = edges.link_edge[k * n_links + a]
                if other >= 0 and other != g:
                    refresh_edge(edges, links, other)


@nb.njit(cache=True, nogil=True)
def _segment(
    start: int, stop: int, pred: IntArray, in_edge: Int32Array, in_flow: FloatArray,
    edge_tail: IntArray, base: int, edges: EdgeCosts,
) -> tuple[float, float, float]:
    """Cost, derivative and smallest origin flow of the tree path from ``stop`` to ``start``."""
    cost = 0.0
    derivative = 0.0
    smallest = np.inf
    v = start
    while v != stop:
        p = pred[v]
        e = in_edge[p]
        cost += edges.cost[base + e]
        derivative += edges.derivative[base + e]
        if in_flow[p] < smallest:
            smallest = in_flow[p]
        v = edge_tail[e]
    return cost, derivative, smallest


@nb.njit(cache=True, nogil=True)
def _apply(
    start: int, stop: int, pred: IntArray, in_edge: Int32Array, in_flow: FloatArray,
    edge_tail: IntArray, base: int, edges: EdgeCosts, links: LinkCosts, delta: float,
) -> None:
    v = start
    while v != stop:
        p = pred[v]
        e = in_edge[p]
        value = in_flow[p] + delta
        in_flow[p] = value if value > 0.0 else 0.0
        move_edge_flow(edges, links, base + e, delta)
        v = edge_tail[e]


@nb.njit(cache=True, nogil=True)
def _divergence(
    j: int, low_pred: IntArray, high_pred: IntArray, in_edge: Int32Array,
    edge_tail: IntArray, position: IntArray,
) -> int:
    """Last common node of the shortest and longest-used paths to ``j`` (-1 if broken).

    Both paths run back in decreasing topological position, so stepping back whichever is
    further along meets at their last common node.
    """
    a = edge_tail[in_edge[low_pred[j]]]
    b = edge_tail[in_edge[high_pred[j]]]
    while a != b:
        if position[a] > position[b]:
            a = edge_tail[in_edge[low_pred[a]]]
        else:
            p = high_pred[b]
            if p < 0:
                return -1
            b = edge_tail[in_edge[p]]
    return int(a)


@nb.njit(cache=True, nogil=True)
def newton_shift(
    j: int,
    low_pred: IntArray,
    high_pred: IntArray,
    position: IntArray,
    in_edge: Int32Array,
    in_flow: FloatArray,
    edge_tail: IntArray,
    base: int,
    edges: EdgeCosts,
    links: LinkCosts,
) -> float:
    """Shift flow from the longest-used to the shortest segment ending at merge node ``j``.

    The step is Newton's, ``Δ = (c_long − c_short) / (Σ derivatives of both segments)``,
    capped by the smallest flow of the origin on the long segment. Costs are recomputed
    exactly along the way. Returns the flow shifted.
    """
    d = _divergence(j, low_pred, high_pred, in_edge, edge_tail, position)
    if d < 0:
        return 0.0
    long_cost, long_derivative, available = _segment(
        j, d, high_pred, in_edge, in_flow, edge_tail, base, edges)
    short_cost, short_derivative, _ = _segment(
        j, d, low_pred, in_edge, in_flow, edge_tail, base, edges)
    difference = long_cost - short_cost
    if difference <= 0.0 or available <= 0.0:
        return 0.0
    derivative = long_derivative + short_derivative
    delta = available
    if derivative > 0.0 and difference < available * derivative:
        delta = difference / derivative
    _apply(j, d, high_pred, in_edge, in_flow, edge_tail, base, edges, links, -delta)
    _apply(j, d, low_pred, in_edge, in_flow, edge_tail, base, edges, links, delta)
    return delta


@nb.njit(cache=True, nogil=True)
def shift_bush(
    n_span: int,
    order: Int32Array,
    in_ptr: Int32Array,
    in_edge: Int32Array,
    in_flow: FloatArray,
    edge_tail: IntArray,
    base: int,
    edges: EdgeCosts,
    links: LinkCosts,
    min_flow: float,
    min_excess: float,
    low: FloatArray,
    high: FloatArray,
    low_pred: IntArray,
    high_pred: IntArray,
    position: IntArray,
) -> float:
    """One pass of Algorithm B over a bush: labels, then Newton shifts at merge nodes.

    Only the leading ``n_span`` nodes of the order are visited: the merge nodes and their
    ancestors (see :mod:`steppe.assign.kernels.bush_update`), where all shifts happen.
    Merge nodes are visited in decreasing topological order; a node is shifted when its
    longest used path costs more than its shortest. Nothing is shifted when the bush's
    excess is at most ``min_excess`` (equilibrated enough).

    Returns
    -------
    float
        The bush's excess cost over its own shortest paths at the start of the pass (see
        :func:`steppe.assign.kernels.bush.bush_labels`; time units × flow).
    """
    edge_cost = edges.cost[base:base + edge_tail.shape[0]]
    excess = bush_labels(n_span, order, in_ptr, in_edge, in_flow, edge_tail, edge_cost,
                         min_flow, low, high, low_pred, high_pred, position)
    if excess <= min_excess:
        return excess
    for k in range(n_span - 1, 0, -1):
        j = order[k]
        p_long = high_pred[j]
        if p_long < 0 or p_long == low_pred[j]:
            continue
        newton_shift(j, low_pred, high_pred, position, in_edge, in_flow, edge_tail, base,
                     edges, links)
    return excess


@nb.njit(cache=True)
def refresh_costs(edges: EdgeCosts, links: LinkCosts) -> None:
    """Recompute every link's time and derivative and every edge's cost from link flows."""
    for a in range(links.flow.shape[0]):
        _set_link_flow(links, a, links.flow[a])
    for g in range(edges.cost.shape[0]):
        refresh_edge(edges, links, g)
