"""Link cost = BPR time + hard-capacity term, and the Beckmann objective built from them.

The solvers call these instead of the raw kernels so that every algorithm sees the same cost
model; the capacity term is skipped entirely when no link has a hard capacity.
"""

from __future__ import annotations

import numpy as np

from steppe.assign.kernels.costs import (
    bpr_derivative,
    bpr_integral,
    bpr_time,
    directional_derivative,
    exact_line_search,
)
from steppe.assign.kernels.penalty import (
    penalty_cost,
    penalty_derivative,
    penalty_directional_derivative,
    penalty_integral,
)
from steppe.assign.problem import FloatArray, LinkArrays


def link_time(links: LinkArrays, flow: FloatArray) -> FloatArray:
    """Flow-dependent link cost (time units): BPR time plus the capacity term."""
    time = bpr_time(flow, links.free_flow_time, links.capacity, links.alpha, links.beta)
    if links.has_hard_capacity:
        time = time + penalty_cost(
            flow, links.multiplier, links.penalty_weight, links.hard_capacity
        )
    return time


def link_time_derivative(links: LinkArrays, flow: FloatArray) -> FloatArray:
    """Derivative of :func:`link_time` with respect to the link's flow."""
    slope = bpr_derivative(flow, links.free_flow_time, links.capacity, links.alpha, links.beta)
    if links.has_hard_capacity:
        slope = slope + penalty_derivative(
            flow, links.multiplier, links.penalty_weight, links.hard_capacity
        )
    return slope


def time_integral(links: LinkArrays, flow: FloatArray) -> float:
    """Σ_a ∫_0^{x_a} link_time_a(s) ds: the flow-dependent part of the Beckmann objective."""
    total = bpr_integral(flow, links.free_flow_time, links.capacity, links.alpha, links.beta)
    if links.has_hard_capacity:
        total += penalty_integral(flow, links.multiplier, links.penalty_weight, links.hard_capacity)
    return float(total)


def line_search(
    links: LinkArrays, flow: FloatArray, direction: FloatArray, fixed_slope: float
) -> float:
    """Exact step in [0, 1] minimizing Beckmann from ``flow`` along ``direction``."""
    L = links
    capacitated = L.has_hard_capacity

    def slope(step: float) -> float:
        value = directional_derivative(
            step, flow, direction, L.free_flow_time, L.capacity, L.alpha, L.beta
        )
        if capacitated:
            value += penalty_directional_derivative(
                step, flow, direction, L.multiplier, L.penalty_weight, L.hard_capacity
            )
        return float(value) + fixed_slope

    return exact_line_search(slope)


def zero_flow_time(links: LinkArrays) -> FloatArray:
    """Link times at zero flow."""
    return link_time(links, np.zeros(len(links.free_flow_time)))
