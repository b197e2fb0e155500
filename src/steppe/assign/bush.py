"""Bush-based equilibrium: Dial's Algorithm B.

Every (origin, class) pair keeps an acyclic *bush* with its flow. After an initial
all-or-nothing load on shortest-path trees (origin by origin, at the costs the ones before
left), an iteration

1. sweeps the bushes, one after another, several times: shortest and longest used labels
   by one pass in topological order (no heap), then a Newton shift from the longest to the
   shortest segment at every merge node, each followed by exact cost updates
   (:mod:`steppe.assign.kernels.bush_shift`); bushes equilibrated relative to the current
   gap are skipped;
2. measures the gap (in parallel over origins) from shortest paths on the whole graph, as a
   sum of non-negative per-origin terms, and with the same labels updates the bushes:
   flows below a threshold removed, unused edges dropped, shortcut edges added in a way
   that provably keeps them acyclic (:mod:`steppe.assign.kernels.bush_update`).

Classes share link times (BPR of the total flow) and differ in fixed costs and allowed
links: each class routes on its own compiled graph, and a shift refreshes the costs of
every class's edges over the links it moved. The bushes are returned as warm-start state
(:mod:`steppe.assign.bush_state`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numba as nb
import numpy as np

from steppe.assign.bush_layout import (
    BushDemand,
    BushLayout,
    build_layout,
    bush_demand,
    class_link_flows,
    empty_bushes,
    reached,
    with_destinations,
)
from steppe.assign.bush_state import BushState, restore
from steppe.assign.config import AssignmentConfig
from steppe.assign.costmodel import time_integral
from steppe.assign.kernels.bush_drivers import (
    gap_share,
    initial_bushes,
    measure_gap,
    sweep_bushes,
    update_bushes,
    update_share,
)
from steppe.assign.kernels.bush_layout import Bushes
from steppe.assign.kernels.bush_shift import refresh_costs
from steppe.assign.kernels.costs import dot
from steppe.assign.linkbased import demand_signature
from steppe.assign.problem import AssignmentProblem, BoolArray, FloatArray, IntArray
from steppe.assign.result import SolverOutcome
from steppe.errors import SteppeError

Progress = Callable[[int, float], None]

MIN_FLOW = 1e-14
"""Bush edges carrying at most this × the origin's demand count as unused; updates move
such flow onto the other edges."""
PASS_GAP_RATIO = 0.03
"""Sweeps aim at bushes' own excess below this × the gap measured before them. (0.01 while
the sweeps stopped on stale estimates of skipped bushes, which hid up to ~4× the aim on
Chicago-Sketch; checked estimates make 0.03 as fast or faster on the TNTP cases.)"""
FINISH_REACH = 100.0
FINISH_RATIO = 0.5
"""Within ``FINISH_REACH`` × the target gap, sweeps aim at ``FINISH_RATIO`` × the target
at once."""
UPDATE_GAP_RATIO = 0.01
"""Bushes whose measured excess is at most this × the previous gap (relative to their
shortest-path cost) are not updated: their shape serves them for now."""
SWEEP_BUDGET = 30
"""Most sweeps' worth of work (bush passes / bushes) between two gap measures."""
MAX_SWEEPS = 500
"""Most sweeps between two gap measures, however few bushes are still active."""
PARALLEL_WORK = 1_000_000
"""Measure and update in parallel only above this many (bushes × graph size): below it,
waking threads costs more than it saves."""


@dataclass
class _Gap:
    """Measured gap: relative, and per bush the excess and shortest-path cost."""

    relative: float
    excess: FloatArray
    shortest: FloatArray


def solve_bush_based(
    problem: AssignmentProblem,
    config: AssignmentConfig,
    *,
    progress: Progress | None = None,
    warm_state: object | None = None,
) -> SolverOutcome:
    """Run Algorithm B to the target gap.

    Parameters
    ----------
    problem
        Arrays built by :func:`steppe.assign.problem.build_problem`.
    config
        Stopping rules (``target_gap``, ``max_iter``, ``time_limit_s``) and ``threads``.
    progress
        Called after every iteration with ``(iteration, relative_gap)``.
    warm_state
        :class:`~steppe.assign.bush_state.BushState` of an earlier run on the same links
        and classes (link attributes and demand volumes may differ); bushes that fit are
        reused, the others start from shortest-path trees. Anything else: a cold start.

    Returns
    -------
    SolverOutcome
        Class flows per link row; the state is a :class:`~steppe.assign.bush_state.BushState`.
        Row 1 of the convergence table is the starting point (initial load or warm state);
        ``step`` is the work of the iteration's sweeps, in sweeps' worth (bush passes
        divided by the number of bushes).
    """
    start = time.perf_counter()
    layout = build_layout(problem)
    demand = bush_demand(problem)
    threads = _threads(config, layout, demand)
    bushes, reachable, source = _start(problem, layout, demand, warm_state, threads)
    first_above = _first_update_above(warm_state, source, config.target_gap)
    served = float(bushes.dest_volume.sum())
    origin_demand = np.zeros(len(demand.klass))
    np.add.at(origin_demand, np.repeat(np.arange(len(demand.klass)), np.diff(bushes.dest_base)),
              bushes.dest_volume)
    rows: list[dict[str, object]] = []
    converged = False
    sweeps = 0.0
    gap: _Gap | None = None
    for iteration in range(1, config.max_iter + 1):
        if gap is not None:
            sweeps = _sweeps(layout, bushes, gap, origin_demand, config.target_gap)
        flows = _sync_links(problem, layout, bushes)
        # the gap of these flows; the bushes are then updated for the next iteration
        # (rebalancing moves bush flows by crumbs only: the flows reported stay these)
        gap = _measure(layout, bushes, threads,
                       _update_above(iteration, config, gap, first_above))
        rows.append({
            "iteration": iteration,
            "relative_gap": gap.relative,
            "average_excess_cost": float(gap.excess.sum()) / served if served > 0 else 0.0,
            "objective": _objective(problem, flows, layout.links.flow),
            "step": sweeps,
            "direction": "b",
            "seconds": time.perf_counter() - start,
        })
        if progress is not None:
            progress(iteration, gap.relative)
        if gap.relative <= config.target_gap:
            converged = True
            break
        if config.time_limit_s is not None and time.perf_counter() - start > config.time_limit_s:
            break
    return SolverOutcome(flows, rows, demand.by_class(problem, reachable), converged,
                         state=BushState.of(problem, bushes, _shortest(gap, len(demand.klass))))


def _shortest(gap: _Gap | None, n_bushes: int) -> FloatArray:
    """Per bush, its last measured shortest-path cost (none measured: ``max_iter`` 0)."""
    return gap.shortest if gap is not None else np.zeros(n_bushes)


def _threads(config: AssignmentConfig, layout: BushLayout, demand: BushDemand) -> int:
    threads = max(1, int(config.threads or nb.get_num_threads()))
    n_bushes = len(demand.klass)
    work = n_bushes * int(layout.n_nodes.max() + layout.n_edges.max())
    if n_bushes < 2 * threads or work < PARALLEL_WORK:
        return 1
    return threads


def _start(problem: AssignmentProblem, layout: BushLayout, demand: BushDemand,
           warm_state: object | None, threads: int) -> tuple[Bushes, BoolArray, IntArray]:
    """Bushes to start from, with their destinations and what they reach.

    Also returns which OD entries the bushes reach and, per bush, its row in the warm
    state (-1 for a fresh tree).

    Restored ones (reloaded if the demand changed), and shortest-path trees for the rest,
    loaded origin by origin. Link flows are left for the first iteration to sync, except
    where fresh trees must load on top of restored bushes.
    """
    bushes = empty_bushes(layout, demand)
    source = restore(warm_state, problem, bushes)
    restored = source >= 0
    refresh_costs(layout.edges, layout.links)
    fresh = np.flatnonzero(~restored).astype(np.int64)
    if restored.any():
        assert isinstance(warm_state, BushState)
        if warm_state.demand_key != demand_signature(problem):
            bushes = with_destinations(bushes, demand, reached(layout, bushes, demand))
            _sync_links(problem, layout, bushes)
            _update(layout, bushes, restored, threads)
        if len(fresh):
            _sync_links(problem, layout, bushes)
    if len(fresh):
        initial_bushes(layout.graphs, layout.edges, layout.links, bushes, demand.od_base,
                       demand.od_dest, demand.od_volume, fresh, *layout.sizes)
    reachable = reached(layout, bushes, demand)
    return with_destinations(bushes, demand, reachable), reachable, source


def _sync_links(problem: AssignmentProblem, layout: BushLayout, bushes: Bushes
                ) -> list[FloatArray]:
    """Exact link flows from the bushes; refresh every time and cost. Returns class flows."""
    flows = class_link_flows(problem, layout, bushes)
    layout.links.flow[:] = np.sum(flows, axis=0)
    refresh_costs(layout.edges, layout.links)
    return flows


def _update(layout: BushLayout, bushes: Bushes, which: BoolArray, threads: int) -> None:
    args = (layout.graphs, layout.edges, bushes, which, MIN_FLOW)
    if threads > 1:
        update_bushes(*args, threads, *layout.sizes)
    else:
        update_share(0, 1, *args, *layout.sizes)


def _first_update_above(warm_state: object | None, source: IntArray, target_gap: float
                        ) -> FloatArray:
    """Per bush, the excess above which the first measure also updates it.

    Every fresh tree; a restored bush only when it is off by more than the target
    (relative to its shortest-path cost in the earlier run): the others are equilibrated
    bushes of that run, whose shape serves them until their excess matters against the
    gap (as from the second measure on, see ``UPDATE_GAP_RATIO``).
    """
    if not isinstance(warm_state, BushState):
        return np.zeros(len(source))
    restored = source >= 0
    return np.where(restored, target_gap * warm_state.shortest[np.where(restored, source, 0)],
                    0.0)


def _update_above(iteration: int, config: AssignmentConfig, previous: _Gap | None,
                  first: FloatArray) -> FloatArray:
    """Per bush, the excess above which the measure also updates it."""
    if iteration == config.max_iter:
        return np.full(len(first), np.inf)  # last measure: nothing comes after it
    if previous is None:
        return first
    return UPDATE_GAP_RATIO * previous.relative * previous.shortest


def _measure(layout: BushLayout, bushes: Bushes, threads: int, update_above: FloatArray
             ) -> _Gap:
    """Gap terms per bush, then update the bushes whose excess is above ``update_above``."""
    n = len(bushes.klass)
    excess, shortest = np.zeros(n), np.zeros(n)
    args = (layout.graphs, layout.edges, bushes, update_above, MIN_FLOW)
    if threads > 1:
        measure_gap(*args, threads, *layout.sizes, excess, shortest)
    else:
        gap_share(0, 1, *args, *layout.sizes, excess, shortest)
    if not (np.all(np.isfinite(excess)) and np.all(np.isfinite(shortest))):
        raise SteppeError("Algorithm B met a non-finite cost; check link capacities and "
                          "BPR parameters")
    total = float(shortest.sum())
    return _Gap(float(excess.sum()) / total if total > 0 else 0.0, excess, shortest)


def _sweep_target(gap: _Gap, target_gap: float) -> float:
    target = PASS_GAP_RATIO * gap.relative
    if gap.relative <= FINISH_REACH * target_gap:  # close: aim past the target at once
        target = min(target, FINISH_RATIO * target_gap)
    return target


def _sweeps(layout: BushLayout, bushes: Bushes, gap: _Gap, origin_demand: FloatArray,
            target_gap: float) -> float:
    """Sweep the bushes until their own excess is small against the last measured gap.

    Only bushes whose excess is above the target (relative to their shortest-path cost)
    are visited: at first by the excess just measured (an upper bound of their own, so a
    bush below it is equilibrated relative to the current gap and is left alone), then by
    their own excess; bushes whose estimate went stale through the shifts of others are
    checked before the sweeps stop (see
    :func:`steppe.assign.kernels.bush_drivers.sweep_bushes`). Returns the work done in
    sweeps' worth (bush passes / bushes).
    """
    n = len(bushes.klass)
    target = _sweep_target(gap, target_gap)
    min_flow = MIN_FLOW * np.maximum(origin_demand, 1.0)
    min_excess = target * gap.shortest
    active = gap.excess > min_excess
    excess = np.where(active, 0.0, gap.excess)
    work = sweep_bushes(layout.graphs, layout.edges, layout.links, bushes, active, min_flow,
                        min_excess, excess, target * float(gap.shortest.sum()), MAX_SWEEPS,
                        SWEEP_BUDGET * n, layout.sizes[0])
    return work / max(n, 1)


def _objective(problem: AssignmentProblem, flows: list[FloatArray], total: FloatArray) -> float:
    """Beckmann objective: Σ ∫ link time of the total flow + Σ_c fixed_c · x_c."""
    return time_integral(problem.links, total) + sum(
        float(dot(c.fixed_cost, x)) for c, x in zip(problem.classes, flows, strict=True)
    )

