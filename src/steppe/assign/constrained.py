"""Hard link capacities: an augmented-Lagrangian loop around any equilibrium solver.

Each outer iteration solves an ordinary equilibrium whose link cost carries the term
``max(0, mu + rho·(x − u))`` (see :mod:`steppe.assign.kernels.penalty`), warm-started from
the previous solution, then updates ``mu ← max(0, mu + rho·(x − u))``. At convergence ``mu``
is the Lagrange multiplier of the capacity constraint: the queueing delay (network time
units) a unit of flow pays to use a full link, and every capacity holds to a relative
tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from steppe.assign.config import AssignmentConfig
from steppe.assign.linkbased import Progress
from steppe.assign.problem import AssignmentProblem, FloatArray
from steppe.assign.result import SolverOutcome

Solver = Callable[..., SolverOutcome]
CAPACITY_TOLERANCE = 1e-9
"""Largest accepted flow excess over a hard capacity, and largest slack of a link with a
queueing delay, relative to the capacity."""
MAX_OUTER = 60


@dataclass(frozen=True)
class ConstrainedState:
    """Warm-start state: the inner solver's state and the multipliers."""

    inner: object | None
    multiplier: FloatArray
    penalty_weight: FloatArray


def _initial_weights(problem: AssignmentProblem) -> FloatArray:
    """Penalty weight per capacitated link: a typical link time per unit of relative excess."""
    L = problem.links
    positive = L.free_flow_time[L.free_flow_time > 0]
    typical = float(positive.mean()) if positive.size else 1.0
    finite = np.isfinite(L.hard_capacity)
    weights = np.zeros(len(L.hard_capacity))
    weights[finite] = 10.0 * typical / L.hard_capacity[finite]
    return weights


def _start(
    problem: AssignmentProblem, warm: object | None
) -> tuple[FloatArray, FloatArray, object | None]:
    n = problem.n_links
    if isinstance(warm, ConstrainedState) and warm.multiplier.shape == (n,):
        finite = np.isfinite(problem.links.hard_capacity)
        return (
            np.where(finite, warm.multiplier, 0.0),
            # the multipliers carry over; the penalty weight restarts moderate (the earlier
            # run's, raised for its own last rounds, makes the inner problems stiff)
            _initial_weights(problem),
            warm.inner,
        )
    return np.zeros(n), _initial_weights(problem), None


def solve_constrained(
    problem: AssignmentProblem,
    config: AssignmentConfig,
    solver: Solver,
    *,
    progress: Progress | None = None,
    warm_state: object | None = None,
) -> tuple[SolverOutcome, FloatArray]:
    """Solve with hard capacities; returns the outcome and the multipliers (queue delays).

    Parameters
    ----------
    problem
        Arrays with ``links.hard_capacity`` finite on capacitated links.
    config
        Stopping rules of each inner solve (target gap, iterations).
    solver
        ``solver(problem, config, progress=..., warm_state=...) -> SolverOutcome``.
    progress
        Passed to every inner solve.
    warm_state
        A :class:`ConstrainedState` from an earlier run, or ``None``.
    """
    cap = problem.links.hard_capacity
    finite = np.isfinite(cap)
    safe_cap = np.where(finite, cap, 1.0)
    mu, rho, inner_state = _start(problem, warm_state)
    rows: list[dict[str, object]] = []
    previous = np.inf
    outcome: SolverOutcome | None = None
    violation = np.inf
    for _ in range(MAX_OUTER):
        links = replace(problem.links, multiplier=mu, penalty_weight=rho)
        outcome = solver(
            replace(problem, links=links), config, progress=progress, warm_state=inner_state
        )
        _append_rows(rows, outcome.rows)
        inner_state = outcome.state
        flow = np.sum(outcome.class_flows, axis=0)
        mu = np.where(finite, np.maximum(0.0, mu + rho * (flow - np.where(finite, cap, 0.0))), 0.0)
        violation = _violation(flow, cap, safe_cap, finite, mu)
        if violation <= CAPACITY_TOLERANCE and outcome.converged:
            break
        if violation > 0.25 * previous:
            rho = rho * 10.0
        previous = violation
    assert outcome is not None
    outcome.rows = rows
    outcome.state = ConstrainedState(inner_state, mu, rho)
    outcome.converged = outcome.converged and violation <= CAPACITY_TOLERANCE
    return outcome, mu


def _violation(
    flow: FloatArray, cap: FloatArray, safe_cap: FloatArray, finite: np.ndarray, mu: FloatArray
) -> float:
    """Largest relative capacity excess, or slack of a link that still has a queue.

    Both vanish at the solution: no link is over its capacity, and a link with a positive
    multiplier (queueing delay) is full (complementary slackness). Stopping on the excess
    alone would accept a delay on a link with room to spare.
    """
    relative = np.where(finite, (flow - np.where(finite, cap, 0.0)) / safe_cap, 0.0)
    excess = float(np.max(relative, initial=0.0))
    slack = float(np.max(np.where(mu > 0.0, -relative, 0.0), initial=0.0))
    return max(excess, slack)


def _append_rows(rows: list[dict[str, object]], new: list[dict[str, object]]) -> None:
    offset_iter = int(str(rows[-1]["iteration"])) if rows else 0
    offset_time = float(str(rows[-1]["seconds"])) if rows else 0.0
    for row in new:
        rows.append(
            {
                **row,
                "iteration": int(str(row["iteration"])) + offset_iter,
                "seconds": float(str(row["seconds"])) + offset_time,
            }
        )
