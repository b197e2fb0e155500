"""Path-based stochastic user equilibrium (multinomial logit) with column generation.

Each class has its own dispersion θ (1 / time unit) or none (deterministic). The solver
minimizes Fisk's objective

    Z(f) = Σ_a ∫_0^{x_a} t_a(s) ds + Σ_c Σ_a fixed_{c,a} x_{c,a}
           + Σ_{c stochastic} (1/θ_c) Σ_k f_k ln(f_k / d_od(k))

over path flows ``f`` of a path set that grows by column generation. Stochastic classes'
path sets are seeded with distinct near-shortest paths (link-penalty method, at free-flow
costs); then every outer iteration

1. adds each OD entry's current shortest path (one Dijkstra call over all classes),
2. measures the gap (below) and stops when it is at or below ``target_gap`` and no path
   was added,
3. equilibrates the restricted problem (the current path sets) by Gauss–Seidel sweeps over
   OD entries — diagonal-Newton steps with an exact line search on Z for stochastic ODs,
   projected-Newton shifts to the cheapest path for deterministic ones — until its gap is
   a tenth of the target (:mod:`steppe.assign.kernels.sue_equilibrate`).

At the minimum, stochastic path flows are logit in the path costs and deterministic ones
are Wardrop equilibria.

Gap (``relative_gap`` of the convergence table): Σ over OD pairs of
``d/θ · KL(f/d ‖ logit shares)`` for stochastic classes plus ``TSTT − SPTT`` for
deterministic ones, divided by the total generalized cost Σ f·c. It is ≥ 0 and zero exactly
at the (stochastic) equilibrium of the path set.

Warm start: a :class:`~steppe.assign.sue_paths.SueState` keeps the path sets by class and OD
zone pair; a later run (other costs, demand, or links removed) starts from those paths and
flows, adds its own penalty paths, and converges in a few sweeps.

Hard capacities work as for the other solvers: :mod:`steppe.assign.constrained` wraps this
solver and the capacity term is part of the link cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from steppe.assign.config import AssignmentConfig
from steppe.assign.costmodel import link_time, time_integral
from steppe.assign.kernels.sue_equilibrate import equilibrate, restricted_gap
from steppe.assign.linkbased import Progress
from steppe.assign.problem import AssignmentProblem, FloatArray, IntArray, LinkArrays
from steppe.assign.result import SolverOutcome
from steppe.assign.sue_paths import (
    Flat,
    PathSets,
    SueState,
    UnionGraph,
    path_sums,
    state_of,
    warm_paths,
)

__all__ = ["SueState", "solve_sue"]

PENALTY_ROUNDS = 8
"""Rounds of link-penalty path generation at the start (stochastic classes only)."""
PENALTY_FACTOR = 0.3
"""Each round multiplies the cost of the links of the paths just found by 1 + this."""
SHARE_FLOOR = 12.0
"""A penalty-generated path is kept if θ·(its cost − the shortest) ≤ this (share ≥ e⁻¹²)."""
INNER_SWEEPS = 500
"""Most Gauss–Seidel sweeps per outer iteration."""
INNER_FACTOR = 0.1
"""The restricted problem is solved to this fraction of the target gap."""


@dataclass
class _Problem:
    """The solver's view: union graph, per-OD class, dispersion and volume, packed links."""

    problem: AssignmentProblem
    union: UnionGraph
    od_class: IntArray
    od_theta: FloatArray
    od_volume: FloatArray
    class_fixed: list[FloatArray]
    link_params: FloatArray

    @classmethod
    def of(cls, problem: AssignmentProblem, config: AssignmentConfig,
           union: UnionGraph | None = None) -> _Problem:
        thetas = [config.cost_of(c.name).dispersion for c in problem.classes]
        sizes = [len(c.od_volume) for c in problem.classes]
        od_class = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        theta = np.array([-1.0 if t is None else t for t in thetas], dtype=np.float64)
        volumes = [c.od_volume for c in problem.classes]
        return cls(
            problem=problem,
            union=union if union is not None else UnionGraph.of(problem),
            od_class=od_class,
            od_theta=theta[od_class] if len(od_class) else np.zeros(0),
            od_volume=np.concatenate(volumes) if volumes else np.zeros(0),
            class_fixed=[c.fixed_cost for c in problem.classes],
            link_params=_pack(problem.links),
        )

    def flat(self, paths: PathSets) -> Flat:
        return paths.flat(self.od_class, self.class_fixed)


def _pack(links: LinkArrays) -> FloatArray:
    return np.ascontiguousarray(np.vstack([
        links.free_flow_time, links.capacity, links.alpha, links.beta, links.hard_capacity,
        links.multiplier, links.penalty_weight,
    ]), dtype=np.float64)


def _link_flows(flat: Flat, n_links: int) -> FloatArray:
    per_entry = np.repeat(flat.flow, np.diff(flat.path_start))
    return np.bincount(flat.path_links, per_entry, minlength=n_links).astype(np.float64)


def _generate(sp: _Problem, paths: PathSets, link_cost: FloatArray) -> tuple[bool, np.ndarray]:
    """Add every OD entry's shortest path at ``link_cost``; (any new, reached per OD)."""
    start, links, cost, _ = sp.union.shortest(sp.union.edge_cost(link_cost))
    reached = np.isfinite(cost)
    added = False
    for od in np.flatnonzero(reached):
        index, new = paths.add(int(od), links[start[od] : start[od + 1]])
        added |= new
        if not any(paths.flows[od]) and sp.od_volume[od] > 0:
            paths.flows[od][index] = float(sp.od_volume[od])  # all-or-nothing start
    return added, reached


def _penalty_paths(sp: _Problem, paths: PathSets, link_cost: FloatArray) -> None:
    """Seed stochastic ODs with distinct near-shortest paths (link-penalty method).

    Column generation alone only adds paths that are shortest at some iteration, so an
    uncongested alternative a little dearer than the best would never enter the logit
    choice set. After each round the edges of the paths found get dearer by
    ``PENALTY_FACTOR`` and the search repeats; a new path is kept when its true cost is
    within ``SHARE_FLOOR / θ`` of the shortest.
    """
    stochastic = sp.od_theta > 0
    if not stochastic.any():
        return
    true_edge = sp.union.edge_cost(link_cost)
    penalized = true_edge.copy()
    shortest = None
    for _ in range(PENALTY_ROUNDS):
        start, links, sp_cost, edges = sp.union.shortest(penalized)
        if shortest is None:
            shortest = sp_cost
        lengths = np.diff(start)
        cost = path_sums(sp.od_class, lengths, links, sp.class_fixed)
        cost += np.bincount(np.repeat(np.arange(len(lengths)), lengths), link_cost[links],
                            minlength=len(lengths))
        near = sp.od_theta * (cost - shortest) <= SHARE_FLOOR
        for od in np.flatnonzero(np.isfinite(sp_cost) & stochastic & near):
            paths.add(int(od), links[start[od] : start[od + 1]])
        penalized[np.unique(edges)] *= 1.0 + PENALTY_FACTOR


def _objective(sp: _Problem, flat: Flat, x: FloatArray) -> float:
    value = time_integral(sp.problem.links, x) + float(np.dot(flat.path_fixed, flat.flow))
    theta = sp.od_theta[flat.path_od]
    volume = sp.od_volume[flat.path_od]
    ok = (theta > 0) & (flat.flow > 0) & (volume > 0)
    share_log = np.log(flat.flow[ok]) - np.log(volume[ok])  # no underflow at tiny shares
    value += float(np.sum(flat.flow[ok] * share_log / theta[ok]))
    return value


def _initial_paths(
    sp: _Problem, warm_state: object | None
) -> tuple[PathSets, np.ndarray, str]:
    """Initial path sets: warm paths, a first generation and penalty paths.

    Penalty paths are generated at free-flow costs (without the capacity term of
    :mod:`steppe.assign.constrained`, whose multipliers are not a property of the network),
    and skipped, with the zero-flow paths, when the warm state comes from this very network
    with the same free-flow costs (e.g. an earlier capacity round).

    Returns the path sets, whether each OD entry is reachable, and the network key.
    """
    problem = sp.problem
    zeros = np.zeros(problem.n_links)
    free_flow = link_time(replace(problem.links, multiplier=zeros, penalty_weight=zeros), zeros)
    key = sp.union.key(free_flow)
    same_network = isinstance(warm_state, SueState) and warm_state.network_key == key
    if isinstance(warm_state, SueState):
        paths = warm_paths(problem, warm_state)
    else:
        paths = PathSets(len(sp.od_volume))
    if same_network:  # its zero-flow and penalty paths are in the warm path sets already
        return paths, np.array([bool(p) for p in paths.links]), key
    _, reached = _generate(sp, paths, link_time(problem.links, zeros))
    _penalty_paths(sp, paths, free_flow)
    return paths, reached, key


def _same_classes_union(
    problem: AssignmentProblem, warm_state: object | None
) -> UnionGraph | None:
    """The warm state's union graph if it was solved on these very class arrays.

    That is the case in the rounds of :mod:`steppe.assign.constrained`, where only link
    parameters change; anything else gets ``None`` (lay the union graph out afresh).
    """
    if isinstance(warm_state, SueState) and warm_state.classes is problem.classes:
        return warm_state.union
    return None


def _row(k: int, gap: float, total: float, served: float, objective: float, sweeps: int,
         seconds: float) -> dict[str, object]:
    return {
        "iteration": k,
        "relative_gap": gap / total if total > 0 else 0.0,
        "average_excess_cost": gap / served if served > 0 else 0.0,
        "objective": objective,
        "step": float(sweeps),
        "direction": "logit",
        "seconds": seconds,
    }


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
        Called after every outer iteration with ``(iteration, relative_gap)``.
    warm_state
        A :class:`SueState` of an earlier run (any demand; links matched by row), or
        ``None``.

    Returns
    -------
    SolverOutcome
        Class flows per link row; the state is a :class:`SueState`. The convergence table
        has one row per outer (column-generation) iteration; ``step`` holds the number of
        Gauss–Seidel sweeps that followed it.
    """
    start = time.perf_counter()
    sp = _Problem.of(problem, config, _same_classes_union(problem, warm_state))
    paths, reached, key = _initial_paths(sp, warm_state)
    flat = sp.flat(paths)
    rows: list[dict[str, object]] = []
    converged, sweeps = False, 0
    for k in range(1, config.max_iter + 1):
        x = _link_flows(flat, problem.n_links)
        paths.store(flat)
        added, reached = _generate(sp, paths, link_time(problem.links, x))
        flat = sp.flat(paths)
        x = _link_flows(flat, problem.n_links)  # an OD left without paths got AON flow
        gap, total = restricted_gap(sp.link_params, x, flat.od_path_start, flat.path_start,
                                    flat.path_links, flat.path_fixed, flat.flow, sp.od_volume,
                                    sp.od_theta)
        served = float(sp.od_volume[reached].sum())
        rows.append(_row(k, gap, total, served, _objective(sp, flat, x), sweeps,
                         time.perf_counter() - start))
        relative = float(str(rows[-1]["relative_gap"]))
        if progress is not None:
            progress(k, relative)
        # a warm start tightens at least once: an outer loop (e.g. the capacity multipliers)
        # needs each solve to move when its inputs moved, however little
        tight = k > 1
        if relative <= config.target_gap and not added and tight:
            converged = True
            break
        if config.time_limit_s is not None and time.perf_counter() - start > config.time_limit_s:
            break
        sweeps, _ = equilibrate(sp.link_params, x, flat.od_path_start, flat.path_start,
                                flat.path_links, flat.path_fixed, flat.flow, sp.od_volume,
                                sp.od_theta, INNER_SWEEPS, INNER_FACTOR * config.target_gap)
    paths.store(flat)
    return SolverOutcome(
        class_flows=_class_flows(sp, flat),
        rows=rows,
        reached=_split(sp, reached),
        converged=converged,
        state=state_of(problem, paths, key, sp.union),
    )


def _class_flows(sp: _Problem, flat: Flat) -> list[FloatArray]:
    path_class = sp.od_class[flat.path_od]
    out = []
    for i in range(len(sp.problem.classes)):
        mine = Flat(flat.od_path_start, flat.path_start, flat.path_links, flat.path_fixed,
                    np.where(path_class == i, flat.flow, 0.0), flat.path_od)
        out.append(_link_flows(mine, sp.problem.n_links))
    return out


def _split(sp: _Problem, reached: np.ndarray) -> list[np.ndarray]:
    bounds = np.cumsum([len(c.od_volume) for c in sp.problem.classes])[:-1]
    return list(np.split(reached.astype(bool), bounds))
