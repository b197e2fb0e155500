"""Augmented-Lagrangian term for hard link capacities.

For a link with hard capacity ``u``, multiplier ``mu`` (a queueing delay, network time units)
and penalty weight ``rho`` (time units per flow unit), the cost gains::

    p(x) = max(0, mu + rho·(x − u))

which is non-decreasing in ``x``, so the assignment stays a convex (Beckmann) problem. Its
integral from 0 to x is ``(max(0, mu + rho(x−u))² − max(0, mu − rho·u)²) / (2 rho)``.
Links without a hard capacity have ``u = inf`` and contribute nothing.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@nb.njit(cache=True, inline="always")
def _term(x: float, mu: float, rho: float, cap: float) -> float:
    if cap == np.inf:
        return 0.0
    value = mu + rho * (x - cap)
    return value if value > 0.0 else 0.0


@nb.njit(cache=True)
def penalty_cost(flow: FloatArray, mu: FloatArray, rho: FloatArray, cap: FloatArray) -> FloatArray:
    """Capacity term of the link cost, per link."""
    out = np.empty_like(flow)
    for a in range(flow.shape[0]):
        out[a] = _term(flow[a], mu[a], rho[a], cap[a])
    return out


@nb.njit(cache=True)
def penalty_derivative(
    flow: FloatArray, mu: FloatArray, rho: FloatArray, cap: FloatArray
) -> FloatArray:
    """Derivative of the capacity term, per link."""
    out = np.zeros_like(flow)
    for a in range(flow.shape[0]):
        if _term(flow[a], mu[a], rho[a], cap[a]) > 0.0:
            out[a] = rho[a]
    return out


@nb.njit(cache=True)
def penalty_integral(flow: FloatArray, mu: FloatArray, rho: FloatArray, cap: FloatArray) -> float:
    """Σ_a ∫_0^{x_a} p_a(s) ds."""
    total = 0.0
    for a in range(flow.shape[0]):
        if cap[a] == np.inf or rho[a] <= 0.0:
            continue
        high = _term(flow[a], mu[a], rho[a], cap[a])
        low = _term(0.0, mu[a], rho[a], cap[a])
        total += (high * high - low * low) / (2.0 * rho[a])
    return total


@nb.njit(cache=True)
def penalty_directional_derivative(
    step: float,
    flow: FloatArray,
    direction: FloatArray,
    mu: FloatArray,
    rho: FloatArray,
    cap: FloatArray,
) -> float:
    """Σ_a p_a(x_a + step·d_a)·d_a."""
    total = 0.0
    for a in range(flow.shape[0]):
        d = direction[a]
        if d != 0.0:
            total += _term(flow[a] + step * d, mu[a], rho[a], cap[a]) * d
    return total
