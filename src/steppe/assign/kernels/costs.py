"""Volume-delay (BPR) kernels, the Beckmann objective and its directional derivative.

Link cost (generalized, in network time units)::

    c_a(x) = t0_a · (1 + alpha_a · (x / cap_a) ** beta_a) + fixed_a

where ``fixed_a`` is the flow-independent part (toll and distance weighted by their
factors). The Beckmann objective is Σ_a ∫_0^{x_a} c_a(s) ds.
"""

from __future__ import annotations

from collections.abc import Callable

import numba as nb
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@nb.njit(cache=True, nogil=True, inline="always")
def ratio_power(x: float, cap: float, beta: float) -> float:
    """``(x / cap) ** beta`` for BPR, with 0 at no flow and a fast path for β = 4."""
    r = x / cap
    if r <= 0.0:
        return 0.0 if beta > 0.0 else 1.0
    if beta == 4.0:
        r2 = r * r
        return r2 * r2
    return float(r**beta)


@nb.njit(cache=True)
def bpr_time(
    flow: FloatArray, t0: FloatArray, cap: FloatArray, alpha: FloatArray, beta: FloatArray
) -> FloatArray:
    """Congested travel time per link (BPR), excluding fixed costs."""
    out = np.empty_like(flow)
    for a in range(flow.shape[0]):
        out[a] = t0[a] * (1.0 + alpha[a] * ratio_power(flow[a], cap[a], beta[a]))
    return out


@nb.njit(cache=True)
def bpr_derivative(
    flow: FloatArray, t0: FloatArray, cap: FloatArray, alpha: FloatArray, beta: FloatArray
) -> FloatArray:
    """d(time)/d(flow) per link (BPR)."""
    out = np.empty_like(flow)
    for a in range(flow.shape[0]):
        x = flow[a]
        if x <= 0.0 or beta[a] == 0.0:
            out[a] = 0.0
        else:
            out[a] = t0[a] * alpha[a] * beta[a] * ratio_power(x, cap[a], beta[a] - 1.0) / cap[a]
    return out


@nb.njit(cache=True)
def bpr_integral(
    flow: FloatArray, t0: FloatArray, cap: FloatArray, alpha: FloatArray, beta: FloatArray
) -> float:
    """Σ_a ∫_0^{x_a} t_a(s) ds (Beckmann objective without fixed costs)."""
    total = 0.0
    for a in range(flow.shape[0]):
        x = flow[a]
        total += t0[a] * x * (1.0 + alpha[a] / (beta[a] + 1.0) * ratio_power(x, cap[a], beta[a]))
    return total


@nb.njit(cache=True)
def directional_derivative(
    step: float,
    flow: FloatArray,
    direction: FloatArray,
    t0: FloatArray,
    cap: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
) -> float:
    """Σ_a t_a(x_a + step·d_a)·d_a: derivative of the time part of Beckmann along ``d``."""
    total = 0.0
    for a in range(flow.shape[0]):
        d = direction[a]
        if d != 0.0:
            x = flow[a] + step * d
            total += t0[a] * (1.0 + alpha[a] * ratio_power(x, cap[a], beta[a])) * d
    return total


@nb.njit(cache=True)
def dot(a: FloatArray, b: FloatArray) -> float:
    """Σ a·b, serial.

    The solvers' vector algebra stays off BLAS: a BLAS thread pool spinning next to numba's
    (OpenMP) workers makes a 30 µs product take milliseconds.
    """
    total = 0.0
    for i in range(a.shape[0]):
        total += a[i] * b[i]
    return total


@nb.njit(cache=True)
def weighted_dot(h: FloatArray, a: FloatArray, b: FloatArray) -> float:
    """Σ h·a·b, serial (see :func:`dot`)."""
    total = 0.0
    for i in range(a.shape[0]):
        total += h[i] * a[i] * b[i]
    return total


def exact_line_search(
    slope: Callable[[float], float],
    *,
    tolerance: float = 1e-12,
    max_step: float = 1.0,
) -> float:
    """Step in ``[0, max_step]`` minimizing a convex function given its derivative (bisection).

    Parameters
    ----------
    slope
        Derivative of the objective along the search direction, as a function of the step;
        non-decreasing (the objective is convex).
    tolerance
        Bracket width at which bisection stops.
    max_step
        Upper end of the bracket.

    Returns
    -------
    float
        The minimizing step; 0 if the direction does not descend.
    """
    if slope(0.0) >= 0.0:
        return 0.0
    if slope(max_step) <= 0.0:
        return max_step
    low, high = 0.0, max_step
    while high - low > tolerance:
        mid = 0.5 * (low + high)
        if slope(mid) > 0.0:
            high = mid
        else:
            low = mid
    return 0.5 * (low + high)
