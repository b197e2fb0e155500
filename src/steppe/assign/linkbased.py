"""Link-based equilibrium: MSA, Frank–Wolfe, conjugate and bi-conjugate Frank–Wolfe.

All four iterate ``x ← x + λ (s − x)`` where ``s`` is a target flow built from the
all-or-nothing (AON) flow ``y`` at current costs:

* MSA: ``s = y``, ``λ = 1/(k+1)``;
* FW: ``s = y``, exact line search;
* CFW: ``s = α s₋₁ + (1 − α) y`` with ``α`` making ``s − x`` conjugate to the previous
  direction w.r.t. the Hessian ``diag(t'(x))`` (Mitradjieva & Lindberg 2013);
* BFW: ``s = β₀ y + β₁ s₋₁ + β₂ s₋₂`` conjugate to the two previous directions (same source).

Classes share link times and differ in fixed costs and allowed links; conjugacy is taken on
total-flow directions, the Hessian of the shared time term.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from steppe.assign.config import AssignmentConfig
from steppe.assign.costmodel import (
    line_search,
    link_time,
    link_time_derivative,
    time_integral,
    zero_flow_time,
)
from steppe.assign.kernels.costs import dot, weighted_dot
from steppe.assign.kernels.paths import all_or_nothing
from steppe.assign.problem import AssignmentProblem, FloatArray
from steppe.assign.result import SolverOutcome

Progress = Callable[[int, float], None]
CONJUGATE_MAX = 0.99999


@dataclass
class Aon:
    """AON flows per class (link space) and the costs they were built on."""

    flows: list[FloatArray]
    sptt: float
    reached: list[np.ndarray]


def aon_all_classes(
    problem: AssignmentProblem, time_per_link: FloatArray, threads: int | None
) -> Aon:
    """All-or-nothing loading of every class at the given link times."""
    flows, reached, sptt = [], [], 0.0
    for c in problem.classes:
        link_cost = time_per_link + c.fixed_cost
        g = c.graph
        edge_flow, origin_cost, ok = all_or_nothing(
            g.edge_start,
            g.edge_head,
            g.edge_tail,
            g.edge_values(link_cost),
            g.blocked,
            c.origin_nodes,
            c.od_start,
            c.od_dest,
            c.od_volume,
            n_threads=threads,
        )
        flows.append(g.link_values(edge_flow))
        reached.append(ok)
        sptt += float(origin_cost.sum())
    return Aon(flows, sptt, reached)


def _weighted_dot(h: FloatArray, a: FloatArray, b: FloatArray) -> float:
    return float(weighted_dot(h, a, b))


def _cfw_target(x: FloatArray, y: FloatArray, s1: FloatArray, hessian: FloatArray) -> float:
    a = s1 - x
    denominator = _weighted_dot(hessian, a, y - s1)
    if denominator == 0.0:
        return 0.0
    alpha = _weighted_dot(hessian, a, y - x) / denominator
    return min(max(alpha, 0.0), CONJUGATE_MAX)


def _bfw_betas(
    x: FloatArray, y: FloatArray, s1: FloatArray, s2: FloatArray, tau: float, hessian: FloatArray
) -> tuple[float, float, float]:
    xbar = tau * s1 + (1.0 - tau) * s2 - x
    yy = y - x
    z = s1 - x
    mu_den = _weighted_dot(hessian, xbar, s2 - s1)
    mu = 0.0 if mu_den == 0.0 else max(0.0, -_weighted_dot(hessian, xbar, yy) / mu_den)
    nu_den = _weighted_dot(hessian, z, z)
    nu = 0.0 if nu_den == 0.0 else -_weighted_dot(hessian, z, yy) / nu_den
    nu = max(0.0, nu + mu * tau / (1.0 - tau))
    b0 = 1.0 / (1.0 + nu + mu)
    return b0, nu * b0, mu * b0


@dataclass
class _State:
    x: list[FloatArray]
    s1: list[FloatArray] | None = None
    s2: list[FloatArray] | None = None
    tau: float = 1.0
    next_direction: str = "fw"


def _total(arrays: list[FloatArray]) -> FloatArray:
    total: FloatArray = np.sum(arrays, axis=0)
    return total


def _target(
    state: _State, aon: Aon, algorithm: str, hessian: FloatArray
) -> tuple[list[FloatArray], str]:
    direction = "fw" if algorithm in ("fw", "msa") else state.next_direction
    if direction == "cfw" and state.s1 is not None:
        alpha = _cfw_target(_total(state.x), _total(aon.flows), _total(state.s1), hessian)
        return [
            alpha * s + (1 - alpha) * y for s, y in zip(state.s1, aon.flows, strict=True)
        ], "cfw"
    if direction == "bfw" and state.s1 is not None and state.s2 is not None and state.tau < 1.0:
        b0, b1, b2 = _bfw_betas(
            _total(state.x),
            _total(aon.flows),
            _total(state.s1),
            _total(state.s2),
            state.tau,
            hessian,
        )
        return [
            b0 * y + b1 * s1 + b2 * s2
            for y, s1, s2 in zip(aon.flows, state.s1, state.s2, strict=True)
        ], "bfw"
    return [f.copy() for f in aon.flows], "fw"


def _step(
    problem: AssignmentProblem,
    state: _State,
    target: list[FloatArray],
    k: int,
    algorithm: str,
) -> float:
    if algorithm == "msa":
        return 1.0 / (k + 1)
    L = problem.links
    x_total = np.sum(state.x, axis=0)
    moves = [t - x for t, x in zip(target, state.x, strict=True)]
    fixed_slope = sum(
        float(dot(c.fixed_cost, m)) for c, m in zip(problem.classes, moves, strict=True)
    )
    return line_search(L, x_total, np.sum(moves, axis=0), fixed_slope)


def solve_link_based(
    problem: AssignmentProblem,
    config: AssignmentConfig,
    *,
    progress: Progress | None = None,
    warm_state: object | None = None,
) -> SolverOutcome:
    """Run a link-based algorithm to the target gap.

    Parameters
    ----------
    problem
        Arrays built by :func:`steppe.assign.problem.build_problem`.
    config
        Algorithm and stopping rules.
    progress
        Called after every iteration with ``(iteration, relative_gap)``.
    warm_state
        Class flows of an earlier solution of a problem with the same links and classes
        (``SolverOutcome.state`` of a link-based run); an AON start when ``None``, when the
        demand differs (old flows would not be feasible) or when the shapes do not fit.

    Returns
    -------
    SolverOutcome
        Class flows per link row; the state is the list of class flows.
    """
    initial_flows = _usable_warm_state(problem, warm_state)
    start = time.perf_counter()
    threads = config.threads
    if initial_flows is None:
        first = aon_all_classes(problem, zero_flow_time(problem.links), threads)
        state, reached = _State(x=first.flows), first.reached
    else:
        state, reached = _State(x=initial_flows), []
    rows: list[dict[str, object]] = []
    converged = False
    step, direction = 1.0, "aon"
    for k in range(1, config.max_iter + 1):
        x_total = np.sum(state.x, axis=0)
        aon = aon_all_classes(problem, link_time(problem.links, x_total), threads)
        reached = reached or aon.reached
        row = measure(problem, state.x, x_total, aon, reached)
        rows.append(
            {
                "iteration": k,
                **row,
                "step": step,
                "direction": direction,
                "seconds": time.perf_counter() - start,
            }
        )
        if progress is not None:
            progress(k, float(row["relative_gap"]))
        if float(row["relative_gap"]) <= config.target_gap:
            converged = True
            break
        if config.time_limit_s is not None and time.perf_counter() - start > config.time_limit_s:
            break
        step, direction = _advance(problem, state, aon, x_total, k, config.algorithm)
    saved = LinkBasedState(demand_signature(problem), tuple(x.copy() for x in state.x))
    return SolverOutcome(state.x, rows, reached, converged, state=saved)


def measure(
    problem: AssignmentProblem,
    class_flows: list[FloatArray],
    x_total: FloatArray,
    aon: Aon,
    reached: list[np.ndarray],
) -> dict[str, float]:
    """Relative gap, average excess cost and Beckmann objective of the current flows.

    TSTT and SPTT are evaluated at the same link costs (those of ``x_total``); demand with
    no path is in neither.
    """
    time_now = link_time(problem.links, x_total)
    tstt = sum(
        float(dot(time_now + c.fixed_cost, x))
        for c, x in zip(problem.classes, class_flows, strict=True)
    )
    served = sum(float(c.od_volume[r].sum()) for c, r in zip(problem.classes, reached, strict=True))
    fixed = sum(
        float(dot(c.fixed_cost, x)) for c, x in zip(problem.classes, class_flows, strict=True)
    )
    return {
        "relative_gap": tstt / aon.sptt - 1.0 if aon.sptt > 0 else 0.0,
        "average_excess_cost": (tstt - aon.sptt) / served if served > 0 else 0.0,
        "objective": time_integral(problem.links, x_total) + fixed,
    }


def demand_signature(problem: AssignmentProblem) -> str:
    """Digest of every class's OD table: a warm start is only feasible for the same demand."""
    digest = hashlib.sha256()
    for c in problem.classes:
        digest.update(c.name.encode())
        for array in (c.od_origin, c.od_destination, c.od_volume, c.link_mask):
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class LinkBasedState:
    """Warm-start state of the link-based solvers: class flows and the demand they serve."""

    demand_signature: str
    class_flows: tuple[FloatArray, ...]


def _usable_warm_state(
    problem: AssignmentProblem, warm_state: object | None
) -> list[FloatArray] | None:
    if not isinstance(warm_state, LinkBasedState):
        return None
    if warm_state.demand_signature != demand_signature(problem):
        return None  # flows of other demand are not feasible: start afresh
    if any(f.shape != (problem.n_links,) for f in warm_state.class_flows):
        return None
    return [f.copy() for f in warm_state.class_flows]


def _advance(
    problem: AssignmentProblem,
    state: _State,
    aon: Aon,
    x_total: FloatArray,
    k: int,
    algorithm: str,
) -> tuple[float, str]:
    hessian = link_time_derivative(problem.links, x_total)
    target, direction = _target(state, aon, algorithm, hessian)
    step = _step(problem, state, target, k, algorithm)
    if step <= 0.0 and direction != "fw":
        target, direction = [f.copy() for f in aon.flows], "fw"
        step = _step(problem, state, target, k, algorithm)
    for x, t in zip(state.x, target, strict=True):
        x += step * (t - x)
    state.s2, state.s1, state.tau = state.s1, target, step
    if algorithm == "bfw":
        state.next_direction = "fw" if step >= 1.0 else ("cfw" if direction == "fw" else "bfw")
    elif algorithm == "cfw":
        state.next_direction = "fw" if step >= 1.0 else "cfw"
    return step, direction
