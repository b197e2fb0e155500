"""Path-based stochastic user equilibrium (multinomial logit) with column generation.

Each class has its own dispersion θ (1 / time unit) or none (deterministic). The solver
minimizes Fisk's objective

    Z(f) = Σ_a ∫_0^{x_a} t_a(s) ds + Σ_c Σ_a fixed_{c,a} x_{c,a}
           + Σ_{c stochastic} (1/θ_c) Σ_k f_k ln(f_k / d_od(k))

over path flows ``f`` of a path set that grows by column generation: every iteration adds
each OD pair's current shortest path. The direction is the partial linearization of Z: logit
loading ``d · exp(−θ c) / Σ exp(−θ c)`` over the path set for stochastic classes and
all-or-nothing loading on the shortest path for deterministic ones; the step is an exact line
search on Z (bisection on its directional derivative). At the minimum, stochastic path flows
are logit in the path costs and deterministic ones are Wardrop equilibria.

Gap (``relative_gap`` of the convergence table): Σ over OD pairs of
``d/θ · KL(f/d ‖ logit shares)`` for stochastic classes plus ``TSTT − SPTT`` for
deterministic ones, divided by the total generalized cost Σ f·c. It is ≥ 0 and zero exactly
at the (stochastic) equilibrium; the run stops when it is at or below ``target_gap`` and the
last iteration generated no new path.

Hard capacities work as for the other solvers: :mod:`steppe.assign.constrained` wraps this
solver and the capacity term is part of :func:`steppe.assign.costmodel.link_time`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from steppe.assign.config import AssignmentConfig
from steppe.assign.costmodel import link_time, link_time_derivative, time_integral
from steppe.assign.kernels.logit import (
    load_paths,
    logit_shares,
    od_curvature,
    od_steps,
    path_costs,
    shortest_paths,
)
from steppe.assign.linkbased import Progress, demand_signature
from steppe.assign.problem import AssignmentProblem, ClassArrays, FloatArray, IntArray
from steppe.assign.result import SolverOutcome

BISECTION_STEPS = 60
PENALTY_ROUNDS = 8
"""Rounds of link-penalty path generation at the start (stochastic classes only)."""
PENALTY_FACTOR = 0.3
"""Each round multiplies the cost of the links of the paths just found by 1 + this."""
SHARE_FLOOR = 12.0
"""A penalty-generated path is kept if θ·(its cost − the shortest) ≤ this (share ≥ e⁻¹²)."""


@dataclass
class PathSet:
    """The generated paths of one class, grouped by OD entry (CSR order of the class)."""

    keys: list[dict[bytes, int]]
    edges: list[list[IntArray]]
    flows: list[list[float]]

    @classmethod
    def empty(cls, n_od: int) -> PathSet:
        """A path set with no paths."""
        return cls([{} for _ in range(n_od)], [[] for _ in range(n_od)], [[] for _ in range(n_od)])

    def add(self, od: int, path: IntArray) -> tuple[int, bool]:
        """Index of ``path`` within its OD entry, and whether it is new."""
        key = path.tobytes()
        found = self.keys[od].get(key)
        if found is not None:
            return found, False
        self.keys[od][key] = len(self.edges[od])
        self.edges[od].append(path.copy())
        self.flows[od].append(0.0)
        return len(self.edges[od]) - 1, True

    def copy(self) -> PathSet:
        """A deep enough copy (path arrays are never mutated)."""
        return PathSet(
            [dict(k) for k in self.keys],
            [list(e) for e in self.edges],
            [list(f) for f in self.flows],
        )


@dataclass
class _Flat:
    """A path set as flat arrays (OD-major), rebuilt when paths are added."""

    od_path_start: IntArray
    path_start: IntArray
    path_edges: IntArray
    flow: FloatArray
    path_od: IntArray

    @classmethod
    def of(cls, paths: PathSet) -> _Flat:
        counts = np.array([len(e) for e in paths.edges], dtype=np.int64)
        od_path_start = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=od_path_start[1:])
        every = [p for per_od in paths.edges for p in per_od]
        lengths = np.array([len(p) for p in every], dtype=np.int64)
        path_start = np.zeros(len(every) + 1, dtype=np.int64)
        np.cumsum(lengths, out=path_start[1:])
        edges = np.concatenate(every).astype(np.int64) if every else np.zeros(0, np.int64)
        flow = np.array([f for per_od in paths.flows for f in per_od], dtype=np.float64)
        path_od = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        return cls(od_path_start, path_start, edges, flow, path_od)

    def store(self, paths: PathSet) -> None:
        for od in range(len(paths.flows)):
            lo, hi = self.od_path_start[od], self.od_path_start[od + 1]
            paths.flows[od][: hi - lo] = self.flow[lo:hi].tolist()


@dataclass(frozen=True)
class SueState:
    """Warm-start state: the path sets and path flows of every class."""

    demand_signature: str
    paths: tuple[PathSet, ...] = field(repr=False)


@dataclass
class _ClassWork:
    """Per-class arrays of one iteration."""

    arrays: ClassArrays
    theta: float | None
    paths: PathSet
    flat: _Flat
    od_volume: FloatArray
    reached: np.ndarray
    cost: FloatArray = field(default_factory=lambda: np.zeros(0))
    best: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    target: FloatArray = field(default_factory=lambda: np.zeros(0))

    def link_flow(self, path_flow: FloatArray) -> FloatArray:
        g = self.arrays.graph
        edge = load_paths(self.flat.path_start, self.flat.path_edges, path_flow, g.n_edges)
        return g.link_values(edge)


def _generate(work: _ClassWork, link_cost: FloatArray, threads: int | None) -> bool:
    """Add every OD entry's shortest path at ``link_cost``; refresh costs. True if any new."""
    c, g = work.arrays, work.arrays.graph
    edge_cost = g.edge_values(link_cost + c.fixed_cost)
    start, edges, sp_cost = shortest_paths(
        g.edge_start, g.edge_tail, g.edge_head, edge_cost, g.blocked,
        c.origin_nodes, c.od_start, c.od_dest, n_threads=threads,
    )  # fmt: skip
    work.reached = np.isfinite(sp_cost)
    added = False
    best = np.full(len(sp_cost), -1, dtype=np.int64)
    for od in np.flatnonzero(work.reached):
        best[od], new = work.paths.add(int(od), edges[start[od] : start[od + 1]])
        added |= new
    if added:
        work.flat.store(work.paths)
        work.flat = _Flat.of(work.paths)
    work.cost = path_costs(work.flat.path_start, work.flat.path_edges, edge_cost)
    work.best = work.flat.od_path_start[:-1] + np.maximum(best, 0)
    return added


def _penalty_paths(work: _ClassWork, link_cost: FloatArray, threads: int | None) -> None:
    """Seed a stochastic class's path sets with distinct near-shortest paths.

    Column generation alone only adds paths that are shortest at some iteration, so an
    uncongested alternative a little dearer than the best would never enter the logit
    choice set. The link-penalty method finds such alternatives: after each round the edges
    of the paths found get dearer by ``PENALTY_FACTOR`` and the search repeats; a new path
    is kept when its true cost is within ``SHARE_FLOOR / θ`` of the shortest.
    """
    if work.theta is None:
        return
    c, g = work.arrays, work.arrays.graph
    true_cost = g.edge_values(link_cost + c.fixed_cost)
    penalized = true_cost.copy()
    shortest = None
    for _ in range(PENALTY_ROUNDS):
        start, edges, sp = shortest_paths(
            g.edge_start, g.edge_tail, g.edge_head, penalized, g.blocked,
            c.origin_nodes, c.od_start, c.od_dest, n_threads=threads,
        )  # fmt: skip
        if shortest is None:
            shortest = sp
        for od in np.flatnonzero(np.isfinite(sp)):
            path = edges[start[od] : start[od + 1]]
            if work.theta * (float(true_cost[path].sum()) - shortest[od]) <= SHARE_FLOOR:
                work.paths.add(int(od), path)
        used = np.unique(edges)
        penalized[used] *= 1.0 + PENALTY_FACTOR
    work.flat = _Flat.of(work.paths)


def _initial_flows(work: _ClassWork) -> None:
    """All demand on the first shortest path (an empty path set gets AON)."""
    flow = np.zeros(len(work.flat.flow))
    ok = work.reached
    flow[work.best[ok]] = work.od_volume[ok]
    work.flat.flow = flow


def _target(work: _ClassWork, link_slope: FloatArray) -> None:
    """Scaled direction: each OD moves towards its loading by its own Newton-like step.

    The loading is logit (stochastic) or all-or-nothing (deterministic); the OD's step
    minimizes a local model of Fisk's objective whose curvature includes the slopes of the
    OD's links (so stiff, nearly full capacitated links do not throttle every other OD).
    """
    flat = work.flat
    if work.theta is None:
        target = np.zeros(len(flat.flow))
        target[work.best[work.reached]] = work.od_volume[work.reached]
    else:
        shares = logit_shares(flat.od_path_start, work.cost, work.theta)
        target = shares * work.od_volume[flat.path_od]
    direction = target - flat.flow
    g = work.arrays.graph
    curvature = od_curvature(
        flat.od_path_start, flat.path_start, flat.path_edges, direction, g.edge_values(link_slope)
    )
    theta = -1.0 if work.theta is None else work.theta
    steps = od_steps(
        flat.od_path_start, flat.flow, direction, work.cost, curvature, theta, BISECTION_STEPS
    )
    work.target = flat.flow + steps[flat.path_od] * direction


def _class_gap(work: _ClassWork) -> tuple[float, float]:
    """(gap, total cost) of one class at its current path costs."""
    flat, f, cost = work.flat, work.flat.flow, work.cost
    total = float(np.dot(f, cost))
    if work.theta is None:
        sp = float(np.dot(work.od_volume[work.reached], cost[work.best[work.reached]]))
        return max(0.0, total - sp), total
    theta = work.theta
    volume = work.od_volume[flat.path_od]
    share = np.divide(f, volume, out=np.zeros_like(f), where=volume > 0)
    entropy = np.where(share > 0, f * np.log(np.where(share > 0, share, 1.0)), 0.0)
    lowest = np.full(len(work.od_volume), np.inf)
    np.minimum.at(lowest, flat.path_od, cost)
    sums = np.zeros(len(work.od_volume))
    np.add.at(sums, flat.path_od, np.exp(-theta * (cost - lowest[flat.path_od])))
    ok = work.reached & (work.od_volume > 0)
    logsum = lowest[ok] - np.log(sums[ok]) / theta  # −(1/θ) ln Σ exp(−θ c)
    gap = total + float(entropy.sum()) / theta - float(np.dot(work.od_volume[ok], logsum))
    return max(0.0, gap), total


def _objective(problem: AssignmentProblem, works: list[_ClassWork], x_total: FloatArray) -> float:
    value = time_integral(problem.links, x_total)
    for w, x in zip(works, _class_link_flows(works), strict=True):
        value += float(np.dot(w.arrays.fixed_cost, x))
        if w.theta is not None:
            f = w.flat.flow
            volume = w.od_volume[w.flat.path_od]
            ok = (f > 0) & (volume > 0)
            value += float(np.sum(f[ok] * np.log(f[ok] / volume[ok]))) / w.theta
    return value


def _class_link_flows(works: list[_ClassWork]) -> list[FloatArray]:
    return [w.link_flow(w.flat.flow) for w in works]


def _entropy_slope(works: list[_ClassWork], step: float) -> float:
    total = 0.0
    for w in works:
        if w.theta is None:
            continue
        d = w.target - w.flat.flow
        moving = d != 0.0
        v = w.flat.flow[moving] + step * d[moving]
        dm = d[moving]
        if np.any((v <= 0.0) & (dm < 0.0)):
            return np.inf
        if np.any((v <= 0.0) & (dm > 0.0)):
            return -np.inf
        total += float(np.dot(np.log(v), dm)) / w.theta
    return total


def _line_search(problem: AssignmentProblem, works: list[_ClassWork], x_total: FloatArray) -> float:
    """Exact step in [0, 1] along (target − flow), minimizing Fisk's objective."""
    moves = [w.link_flow(w.target - w.flat.flow) for w in works]
    dx = np.sum(moves, axis=0)
    fixed = sum(float(np.dot(w.arrays.fixed_cost, m)) for w, m in zip(works, moves, strict=True))

    def slope(step: float) -> float:
        time_part = float(np.dot(link_time(problem.links, x_total + step * dx), dx))
        return time_part + fixed + _entropy_slope(works, step)

    if slope(0.0) >= 0.0:
        return 0.0
    if slope(1.0) <= 0.0:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (low + high)
        if slope(mid) > 0.0:
            high = mid
        else:
            low = mid
    return 0.5 * (low + high)


def _start(
    problem: AssignmentProblem, config: AssignmentConfig, warm_state: object | None
) -> tuple[list[_ClassWork], bool]:
    warm = None
    if isinstance(warm_state, SueState) and warm_state.demand_signature == demand_signature(
        problem
    ):
        warm = warm_state.paths
    works = []
    for i, c in enumerate(problem.classes):
        paths = warm[i].copy() if warm is not None else PathSet.empty(len(c.od_volume))
        works.append(
            _ClassWork(
                arrays=c,
                theta=config.cost_of(c.name).dispersion,
                paths=paths,
                flat=_Flat.of(paths),
                od_volume=c.od_volume,
                reached=np.zeros(len(c.od_volume), dtype=bool),
            )
        )
    return works, warm is not None


def solve_sue(
    problem: AssignmentProblem,
    config: AssignmentConfig,
    *,
    progress: Progress | None = None,
    warm_state: object | None = None,
) -> SolverOutcome:
    """Solve the logit stochastic (and deterministic) user equilibrium by path flows.

    Parameters
    ----------
    problem
        Arrays built by :func:`steppe.assign.problem.build_problem`.
    config
        Stopping rules; per-class dispersions in ``config.class_costs``.
    progress
        Called after every iteration with ``(iteration, relative_gap)``.
    warm_state
        A :class:`SueState` of an earlier run with the same demand, or ``None``.

    Returns
    -------
    SolverOutcome
        Class flows per link row; the state is a :class:`SueState`.
    """
    start = time.perf_counter()
    works, warm = _start(problem, config, warm_state)
    n = problem.n_links
    if not warm:
        zero = link_time(problem.links, np.zeros(n))
        for w in works:
            _generate(w, zero, config.threads)
            _initial_flows(w)
            w.flat.store(w.paths)
            _penalty_paths(w, zero, config.threads)
            _generate(w, zero, config.threads)
    rows: list[dict[str, object]] = []
    converged, step = False, 1.0
    for k in range(1, config.max_iter + 1):
        x_total = np.sum(_class_link_flows(works), axis=0) if works else np.zeros(n)
        times = link_time(problem.links, x_total)
        added = [_generate(w, times, config.threads) for w in works]
        gaps = [_class_gap(w) for w in works]
        gap = sum(g for g, _ in gaps)
        total = sum(t for _, t in gaps)
        served = sum(float(w.od_volume[w.reached].sum()) for w in works)
        relative = gap / total if total > 0 else 0.0
        rows.append(
            {
                "iteration": k,
                "relative_gap": relative,
                "average_excess_cost": gap / served if served > 0 else 0.0,
                "objective": _objective(problem, works, x_total),
                "step": step,
                "direction": "logit",
                "seconds": time.perf_counter() - start,
            }
        )
        if progress is not None:
            progress(k, relative)
        if relative <= config.target_gap and not any(added):
            converged = True
            break
        if config.time_limit_s is not None and time.perf_counter() - start > config.time_limit_s:
            break
        slope = link_time_derivative(problem.links, x_total)
        for w in works:
            _target(w, slope)
        step = _line_search(problem, works, x_total)
        for w in works:
            w.flat.flow = w.flat.flow + step * (w.target - w.flat.flow)
    for w in works:
        w.flat.store(w.paths)
    state = SueState(demand_signature(problem), tuple(w.paths.copy() for w in works))
    return SolverOutcome(
        class_flows=_class_link_flows(works),
        rows=rows,
        reached=[w.reached for w in works],
        converged=converged,
        state=state,
    )
