"""Gauss–Seidel equilibration of path flows (logit SUE and deterministic UE) in link space.

The solver of :mod:`steppe.assign.sue` keeps every class's paths as lists of network link
rows, concatenated over classes (OD-major)::

    od_path_start[od] : od_path_start[od + 1]   paths of OD entry ``od``
    path_start[p] : path_start[p + 1]           link rows of path ``p`` (in ``path_links``)
    path_fixed[p]                               flow-independent cost of path ``p``
    od_theta[od]                                logit dispersion of the OD's class, <= 0: UE

Link cost (time units) is BPR plus the augmented-Lagrangian capacity term
(:mod:`steppe.assign.kernels.penalty`); the parameters come packed in one ``(7, n_links)``
array, rows :data:`T0`, :data:`CAP`, :data:`ALPHA`, :data:`BETA`, :data:`HARD`, :data:`MU`,
:data:`RHO`.

One sweep visits every OD entry once and moves its path flows, updating the link flows
immediately (Gauss–Seidel):

* **stochastic** ODs minimise Fisk's objective along a diagonal-Newton direction (gradient
  ``c_k + ln(f_k/d)/θ``, curvature ``Σ_{a∈k} t'_a + 1/(θ f_k)``, projected onto Σδ = 0),
  or along the partial-linearization direction (logit loading − flow) when a path has no
  flow yet, with an exact line search (safeguarded Newton on the directional derivative);
* **deterministic** ODs shift flow from each dearer path to the cheapest one by a projected
  Newton step (gradient projection).

The restricted gap (:func:`restricted_gap`) is ≥ 0 and zero exactly at the equilibrium of
the path set; :func:`equilibrate` sweeps until it falls below a tolerance.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from steppe.assign.kernels.costs import ratio_power
from steppe.assign.kernels.paths import shortest_path_tree

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

T0, CAP, ALPHA, BETA, HARD, MU, RHO = range(7)
"""Rows of the packed link-parameter array."""
LINE_SEARCH_STEPS = 60
SLOPE_ROUNDOFF = 1e-11
"""The line search stops where the directional derivative is at most this × the sum of the
magnitudes of its terms (its round-off level), or the bracket is at round-off."""
TINY_SHARE = 1e-200
"""A path whose share of its OD is at most this counts as empty (no Newton curvature)."""


@nb.njit(cache=True)
def link_cost(lp: FloatArray, a: int, x: float) -> float:
    """Flow-dependent cost of link row ``a`` at flow ``x``: BPR + capacity term."""
    value = float(lp[T0, a] * (1.0 + lp[ALPHA, a] * ratio_power(x, lp[CAP, a], lp[BETA, a])))
    if lp[HARD, a] < np.inf:
        extra = lp[MU, a] + lp[RHO, a] * (x - lp[HARD, a])
        if extra > 0.0:
            value += extra
    return value


@nb.njit(cache=True)
def link_slope(lp: FloatArray, a: int, x: float) -> float:
    """d(link_cost)/d(flow) of link row ``a`` at flow ``x``."""
    beta = lp[BETA, a]
    slope = 0.0
    if x > 0.0 and beta != 0.0:
        power = ratio_power(x, lp[CAP, a], beta - 1.0)
        slope = lp[T0, a] * lp[ALPHA, a] * beta * power / lp[CAP, a]
    if lp[HARD, a] < np.inf and lp[MU, a] + lp[RHO, a] * (x - lp[HARD, a]) > 0.0:
        slope += lp[RHO, a]
    return slope


@nb.njit(cache=True)
def path_cost(
    lp: FloatArray, x: FloatArray, path_start: IntArray, path_links: IntArray,
    path_fixed: FloatArray, p: int,
) -> float:
    """Cost of path ``p`` at link flows ``x``: fixed part + Σ link costs."""
    total = float(path_fixed[p])
    for j in range(path_start[p], path_start[p + 1]):
        a = path_links[j]
        total += link_cost(lp, a, x[a])
    return total


@nb.njit(cache=True)
def _od_change(
    lo: int, hi: int, direction: FloatArray, path_start: IntArray, path_links: IntArray,
    change: FloatArray, touched: IntArray, is_touched: np.ndarray,
) -> int:
    """Link-flow change of moving the OD's paths along ``direction``; returns #links touched."""
    n = 0
    for p in range(lo, hi):
        d = direction[p - lo]
        if d == 0.0:
            continue
        for j in range(path_start[p], path_start[p + 1]):
            a = path_links[j]
            if not is_touched[a]:
                is_touched[a] = True
                touched[n] = a
                n += 1
            change[a] += d
    return n


@nb.njit(cache=True)
def _slope_and_curvature(
    lp: FloatArray, x: FloatArray, step: float, lo: int, hi: int, flow: FloatArray,
    direction: FloatArray, linear_fixed: float, theta: float, change: FloatArray,
    touched: IntArray, n_touched: int,
) -> tuple[float, float]:
    """φ'(step) and φ''(step) of the OD's objective along ``direction``."""
    slope = linear_fixed
    curvature = 0.0
    for i in range(n_touched):
        a = touched[i]
        dx = change[a]
        v = x[a] + step * dx
        slope += link_cost(lp, a, v) * dx
        curvature += link_slope(lp, a, v) * dx * dx
    if theta > 0.0:
        for p in range(lo, hi):
            d = direction[p - lo]
            if d == 0.0:
                continue
            v = flow[p] + step * d
            if v * theta <= 0.0:  # at (or, in floating point, next to) the boundary
                return (np.inf if d < 0.0 else -np.inf), np.inf
            slope += d * np.log(v) / theta
            curvature += d * d / (v * theta)
    return slope, curvature


@nb.njit(cache=True)
def _slope_magnitude(
    lp: FloatArray, x: FloatArray, lo: int, hi: int, flow: FloatArray, direction: FloatArray,
    linear_fixed: float, theta: float, change: FloatArray, touched: IntArray, n_touched: int,
) -> float:
    """Σ of the magnitudes of the terms of φ'(0): the scale of the slope's round-off."""
    total = abs(linear_fixed)
    for i in range(n_touched):
        a = touched[i]
        total += abs(link_cost(lp, a, x[a]) * change[a])
    if theta > 0.0:
        for p in range(lo, hi):
            if direction[p - lo] != 0.0 and flow[p] > 0.0:
                total += abs(direction[p - lo] * np.log(flow[p]) / theta)
    return total


@nb.njit(cache=True)
def _line_search(
    lp: FloatArray, x: FloatArray, lo: int, hi: int, flow: FloatArray, direction: FloatArray,
    linear_fixed: float, theta: float, change: FloatArray, touched: IntArray, n_touched: int,
    upper: float,
) -> float:
    """Step in [0, upper] minimising the OD's objective (safeguarded Newton + bisection)."""
    s_up, _ = _slope_and_curvature(lp, x, upper, lo, hi, flow, direction, linear_fixed, theta,
                                   change, touched, n_touched)
    if s_up <= 0.0:
        return upper
    s_lo, _ = _slope_and_curvature(lp, x, 0.0, lo, hi, flow, direction, linear_fixed, theta,
                                   change, touched, n_touched)
    if s_lo >= 0.0:
        return 0.0
    noise = _slope_magnitude(lp, x, lo, hi, flow, direction, linear_fixed, theta, change,
                             touched, n_touched)
    low, high = 0.0, upper
    step = 1.0 if upper > 1.0 else 0.5 * upper  # 1: the full (diagonal) Newton step
    for _ in range(LINE_SEARCH_STEPS):
        slope, curvature = _slope_and_curvature(lp, x, step, lo, hi, flow, direction,
                                                linear_fixed, theta, change, touched, n_touched)
        if slope > 0.0:
            high = step
        else:
            low = step
        # below the round-off of its own terms the slope's sign is noise: any step here is
        # as good as the minimum (bisecting on, to the bracket's round-off, gains nothing)
        if abs(slope) <= SLOPE_ROUNDOFF * noise or high - low <= 1e-15 * upper:
            break
        newton = -1.0
        if 0.0 < curvature < np.inf and abs(slope) < np.inf:
            newton = step - slope / curvature
        if not low < newton < high:
            step = 0.5 * (low + high)
            continue
        # Newton converges quadratically from one side, so the bracket need not shrink:
        # stop once its step is below round-off of the step itself
        settled = abs(newton - step) <= 1e-15 * upper + 1e-13 * abs(step)
        step = newton
        if settled:
            break
    return step


@nb.njit(cache=True)
def _stochastic_direction(
    lp: FloatArray, x: FloatArray, lo: int, hi: int, flow: FloatArray, cost: FloatArray,
    volume: float, theta: float, path_start: IntArray, path_links: IntArray,
    direction: FloatArray,
) -> float:
    """Fill ``direction`` (diagonal Newton, or logit loading − flow); return the step bound."""
    n = hi - lo
    empty = False
    for p in range(lo, hi):
        if flow[p] <= TINY_SHARE * volume:  # 1/(θ f) would overflow
            empty = True
    if empty:  # partial linearization: towards the logit loading at current costs
        best = np.inf
        for i in range(n):
            best = min(best, cost[i])
        total = 0.0
        for i in range(n):
            direction[i] = np.exp(-theta * (cost[i] - best))
            total += direction[i]
        for i in range(n):
            direction[i] = volume * direction[i] / total - flow[lo + i]
        return 1.0
    weight_sum = 0.0
    weighted = 0.0
    for i in range(n):
        p = lo + i
        h = 1.0 / (theta * flow[p])
        for j in range(path_start[p], path_start[p + 1]):
            a = path_links[j]
            h += link_slope(lp, a, x[a])
        g = cost[i] + np.log(flow[p] / volume) / theta
        direction[i] = g  # gradient for now
        cost[i] = h  # reuse as curvature
        weight_sum += 1.0 / h
        weighted += g / h
    mean = weighted / weight_sum
    # the path with the flattest curvature balances the others, so that Σδ = 0 holds in
    # floating point too (its own term can round to 0 when the others are tiny)
    anchor = 0
    for i in range(n):
        if cost[i] < cost[anchor]:
            anchor = i
    balance = 0.0
    for i in range(n):
        if i != anchor:
            direction[i] = -(direction[i] - mean) / cost[i]
            balance += direction[i]
    direction[anchor] = -balance
    upper = 4.0
    for i in range(n):
        if direction[i] < 0.0:
            upper = min(upper, flow[lo + i] / -direction[i])
    return upper


@nb.njit(cache=True)
def _update_stochastic(
    lp: FloatArray, x: FloatArray, lo: int, hi: int, flow: FloatArray, volume: float,
    theta: float, path_start: IntArray, path_links: IntArray, path_fixed: FloatArray,
    cost: FloatArray, direction: FloatArray, change: FloatArray, touched: IntArray,
    is_touched: np.ndarray,
) -> None:
    for p in range(lo, hi):
        cost[p - lo] = path_cost(lp, x, path_start, path_links, path_fixed, p)
    upper = _stochastic_direction(lp, x, lo, hi, flow, cost, volume, theta, path_start,
                                  path_links, direction)
    linear_fixed = 0.0
    for p in range(lo, hi):
        linear_fixed += direction[p - lo] * path_fixed[p]
    n_touched = _od_change(lo, hi, direction, path_start, path_links, change, touched,
                           is_touched)
    step = _line_search(lp, x, lo, hi, flow, direction, linear_fixed, theta, change, touched,
                        n_touched, upper)
    for p in range(lo, hi):
        value = flow[p] + step * direction[p - lo]
        flow[p] = value if value > 0.0 else 0.0
    for i in range(n_touched):
        a = touched[i]
        x[a] += step * change[a]
        if x[a] < 0.0:
            x[a] = 0.0
        change[a] = 0.0
        is_touched[a] = False


@nb.njit(cache=True)
def _shift(
    lp: FloatArray, x: FloatArray, src: int, dst: int, path_start: IntArray,
    path_links: IntArray, path_fixed: FloatArray, flow: FloatArray,
) -> None:
    """Move flow from path ``src`` to the cheaper path ``dst`` by a projected Newton step."""
    gap = path_cost(lp, x, path_start, path_links, path_fixed, src) - path_cost(
        lp, x, path_start, path_links, path_fixed, dst)
    if gap <= 0.0:
        return
    h = 0.0
    for p in (src, dst):
        for j in range(path_start[p], path_start[p + 1]):
            a = path_links[j]
            h += link_slope(lp, a, x[a])
    amount = flow[src] if h <= 0.0 else min(flow[src], gap / h)
    flow[src] -= amount
    flow[dst] += amount
    for j in range(path_start[src], path_start[src + 1]):
        x[path_links[j]] -= amount
    for j in range(path_start[dst], path_start[dst + 1]):
        x[path_links[j]] += amount


@nb.njit(cache=True)
def _update_deterministic(
    lp: FloatArray, x: FloatArray, lo: int, hi: int, flow: FloatArray, path_start: IntArray,
    path_links: IntArray, path_fixed: FloatArray,
) -> None:
    best, best_cost = lo, np.inf
    for p in range(lo, hi):
        c = path_cost(lp, x, path_start, path_links, path_fixed, p)
        if c < best_cost:
            best, best_cost = p, c
    for p in range(lo, hi):
        if p != best and flow[p] > 0.0:
            _shift(lp, x, p, best, path_start, path_links, path_fixed, flow)


@nb.njit(cache=True)
def sweep(
    lp: FloatArray, x: FloatArray, od_path_start: IntArray, path_start: IntArray,
    path_links: IntArray, path_fixed: FloatArray, flow: FloatArray, od_volume: FloatArray,
    od_theta: FloatArray,
) -> None:
    """One Gauss–Seidel pass over every OD entry; updates ``flow`` and ``x`` in place."""
    longest = 1
    for od in range(od_path_start.shape[0] - 1):
        longest = max(longest, od_path_start[od + 1] - od_path_start[od])
    cost = np.empty(longest)
    direction = np.empty(longest)
    change = np.zeros(x.shape[0])
    touched = np.empty(x.shape[0], dtype=np.int64)
    is_touched = np.zeros(x.shape[0], dtype=np.bool_)
    for od in range(od_path_start.shape[0] - 1):
        lo, hi = od_path_start[od], od_path_start[od + 1]
        if hi - lo < 2 or od_volume[od] <= 0.0:
            continue
        if od_theta[od] > 0.0:
            _update_stochastic(lp, x, lo, hi, flow, od_volume[od], od_theta[od], path_start,
                               path_links, path_fixed, cost, direction, change, touched,
                               is_touched)
        else:
            _update_deterministic(lp, x, lo, hi, flow, path_start, path_links, path_fixed)


@nb.njit(cache=True)
def restricted_gap(
    lp: FloatArray, x: FloatArray, od_path_start: IntArray, path_start: IntArray,
    path_links: IntArray, path_fixed: FloatArray, flow: FloatArray, od_volume: FloatArray,
    od_theta: FloatArray,
) -> tuple[float, float]:
    """(gap, total cost) over the path set at link flows ``x``.

    Per OD: ``Σ f c + (1/θ) Σ f ln(f/d) + (d/θ) ln Σ exp(−θ c)`` (stochastic: ``d/θ`` times
    the KL divergence of the path shares from the logit shares) or ``Σ f c − d min c``
    (deterministic); total cost is ``Σ f c``. Both sums are of non-negative OD terms.
    """
    gap = 0.0
    total = 0.0
    for od in range(od_path_start.shape[0] - 1):
        lo, hi = od_path_start[od], od_path_start[od + 1]
        d = od_volume[od]
        if hi == lo or d <= 0.0:
            continue
        theta = od_theta[od]
        best = np.inf
        spent = 0.0
        entropy = 0.0
        for p in range(lo, hi):
            c = path_cost(lp, x, path_start, path_links, path_fixed, p)
            best = min(best, c)
            spent += flow[p] * c
            if flow[p] > 0.0:
                entropy += flow[p] * np.log(flow[p] / d)
        term = spent - d * best
        if theta > 0.0:
            weights = 0.0
            for p in range(lo, hi):
                c = path_cost(lp, x, path_start, path_links, path_fixed, p)
                weights += np.exp(-theta * (c - best))
            term += entropy / theta + d * np.log(weights) / theta
        gap += max(term, 0.0)
        total += spent
    return gap, total


@nb.njit(cache=True)
def equilibrate(
    lp: FloatArray, x: FloatArray, od_path_start: IntArray, path_start: IntArray,
    path_links: IntArray, path_fixed: FloatArray, flow: FloatArray, od_volume: FloatArray,
    od_theta: FloatArray, max_sweeps: int, tolerance: float,
) -> tuple[int, float]:
    """Sweep until the restricted relative gap is at most ``tolerance``.

    Returns the number of sweeps and the final restricted relative gap.
    """
    relative = np.inf
    for k in range(max_sweeps):
        sweep(lp, x, od_path_start, path_start, path_links, path_fixed, flow, od_volume,
              od_theta)
        gap, total = restricted_gap(lp, x, od_path_start, path_start, path_links, path_fixed,
                                    flow, od_volume, od_theta)
        relative = gap / total if total > 0.0 else 0.0
        if relative <= tolerance:
            return k + 1, relative
    return max_sweeps, relative


@nb.njit(cache=True)
def shortest_trees(
    edge_start: IntArray, edge_head: IntArray, edge_cost: FloatArray, blocked: np.ndarray,
    origins: IntArray, pred: IntArray, dist: FloatArray,
) -> None:
    """Full shortest-path trees from each origin, serially (one row of ``pred``/``dist`` each).

    For the small graphs of corridor models one serial call beats a parallel launch.
    """
    n_nodes = edge_start.shape[0] - 1
    n_edges = edge_head.shape[0]
    order = np.empty(n_nodes, dtype=np.int64)
    settled = np.empty(n_nodes, dtype=np.bool_)
    heap_key = np.empty(n_edges + 1)
    heap_node = np.empty(n_edges + 1, dtype=np.int64)
    mark = np.full(n_nodes, -1, dtype=np.int64)
    for i in range(origins.shape[0]):
        shortest_path_tree(origins[i], edge_start, edge_head, edge_cost, blocked, mark, 0, -1,
                           dist[i], pred[i], order, settled, heap_key, heap_node)
