"""Bush-based equilibrium: Dial's Algorithm B.

Every (origin, class) pair keeps an acyclic *bush* with its flow. An iteration

1. updates every bush (in parallel): rebalances its flow, drops unused edges, adds
   shortcut edges that provably keep it acyclic (:mod:`steppe.assign.kernels.bush`);
2. sweeps the bushes, one after another, several times: shortest and longest used labels
   by one pass in topological order, then Newton shifts from the longest to the shortest
   segment at every merge node, each followed by exact cost updates
   (:mod:`steppe.assign.kernels.bush_shift`); bushes whose own gap is already small relative
   to the current gap are skipped;
3. measures the gap (in parallel) from shortest paths on the whole graph, as a sum of
   non-negative per-origin terms.

Classes share link times (BPR of the total flow) and differ in fixed costs and allowed
links: each class routes on its own compiled graph. The state (bushes and their flows) can
warm-start a later run after link attributes or demand volumes change.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import numba as nb
import numpy as np

from steppe.assign.config import AssignmentConfig
from steppe.assign.kernels.bush_drivers import (
    Bushes,
    ClassGraphs,
    bush_edge_flows,
    bush_reach,
    edge_flow_share,
    gap_share,
    initial_bushes,
    measure_gap,
    refresh_costs,
    sweep_bushes,
    update_bushes,
    update_share,
)
from steppe.assign.kernels.bush_shift import EdgeCosts, LinkCosts
from steppe.assign.kernels.costs import bpr_integral
from steppe.assign.problem import AssignmentProblem, BoolArray, FloatArray, IntArray
from steppe.assign.result import SolverOutcome
from steppe.errors import SteppeError

Progress = Callable[[int, float], None]

MIN_SHARE = 1e-14
"""Approach shares (of a node's flow) below this are dropped at bush updates."""
MIN_FLOW = 1e-14
"""Bush edges carrying less than this × the origin's demand count as unused."""
PASS_GAP_RATIO = 0.01
"""Sweeps stop once the bushes' own gap is below this × the gap measured before them;
bushes whose own relative gap is below it are skipped (they are equilibrated relative to
the current gap)."""
FINAL_RATIO = 0.0
DEEPEST_RATIO = 0.0
SKIP_GAP_RATIO = 0.0
"""The first sweep skips bushes whose measured excess (relative to their shortest-path
cost) is at most this × the gap."""
UPDATE_GAP_RATIO = 0.01
"""Bushes whose measured excess is at most this × the previous gap (relative to their
shortest-path cost) are not updated: their shape serves them for now."""
SWEEP_BUDGET = 30
"""Most sweeps' worth of work (bush passes / bushes) between two bush updates."""
MAX_SWEEPS = 500
"""Most sweeps between two bush updates, however few bushes are still active."""
PARALLEL_WORK = 1_000_000
"""Run bush updates and gap measures in parallel only above this many (bushes × graph
size): below it, waking threads costs more than it saves."""


@dataclass(frozen=True)
class _Layout:
    """Flat arrays of all classes' graphs and the sizes of one bush per class."""

    graphs: ClassGraphs
    edges: EdgeCosts
    links: LinkCosts
    n_nodes: IntArray
    n_edges: IntArray


def _layout(problem: AssignmentProblem) -> _Layout:
    L = problem.links
    n_links = problem.n_links
    graphs = [c.graph for c in problem.classes]
    n_nodes = np.array([g.n_nodes for g in graphs], dtype=np.int64)
    n_edges = np.array([g.n_edges for g in graphs], dtype=np.int64)
    edge_base = np.concatenate([[0], np.cumsum(n_edges)]).astype(np.int64)
    node_base = np.concatenate([[0], np.cumsum(n_nodes)]).astype(np.int64)
    start_base = np.concatenate([[0], np.cumsum(n_nodes + 1)]).astype(np.int64)
    rev_edge, rev_start = [], []
    for g in graphs:
        rev_edge.append(np.argsort(g.edge_head, kind="stable").astype(np.int64))
        counts = np.bincount(g.edge_head, minlength=g.n_nodes)
        rev_start.append(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
    link_counts = np.concatenate([np.diff(g.edge_link_start) for g in graphs])
    link_edge = np.full(len(graphs) * n_links, -1, dtype=np.int64)
    for k, g in enumerate(graphs):
        used = g.link_edge >= 0
        link_edge[k * n_links + np.flatnonzero(used)] = edge_base[k] + g.link_edge[used]
    fixed = np.concatenate([
        g.edge_values(c.fixed_cost) for g, c in zip(graphs, problem.classes, strict=True)
    ])
    class_graphs = ClassGraphs(
        node_base=node_base,
        start_base=start_base,
        edge_start=np.concatenate([g.edge_start for g in graphs]).astype(np.int64),
        edge_head=np.concatenate([g.edge_head for g in graphs]).astype(np.int64),
        edge_tail=np.concatenate([g.edge_tail for g in graphs]).astype(np.int64),
        rev_start=np.concatenate(rev_start),
        rev_edge=np.concatenate(rev_edge),
        blocked=np.concatenate([g.blocked for g in graphs]).astype(np.bool_),
    )
    edges = EdgeCosts(
        edge_base=edge_base,
        link_start=np.concatenate([[0], np.cumsum(link_counts)]).astype(np.int64),
        links=np.concatenate([g.edge_links for g in graphs]).astype(np.int64),
        link_edge=link_edge,
        fixed=fixed.astype(np.float64),
        cost=np.zeros(int(edge_base[-1])),
        derivative=np.zeros(int(edge_base[-1])),
    )
    links = LinkCosts(
        t0=np.ascontiguousarray(L.free_flow_time, dtype=np.float64),
        capacity=np.ascontiguousarray(L.capacity, dtype=np.float64),
        alpha=np.ascontiguousarray(L.alpha, dtype=np.float64),
        beta=np.ascontiguousarray(L.beta, dtype=np.float64),
        flow=np.zeros(n_links),
        time=np.zeros(n_links),
        derivative=np.zeros(n_links),
    )
    return _Layout(class_graphs, edges, links, n_nodes, n_edges)


@dataclass(frozen=True)
class _Demand:
    """Every bush's OD entries (class CSR tables concatenated) and its class and origin."""

    klass: IntArray
    origin: IntArray
    od_base: IntArray
    od_dest: IntArray
    od_volume: FloatArray


def _bush_demand(problem: AssignmentProblem) -> _Demand:
    klass, origin, od_base, od_dest, od_volume = [], [], [np.zeros(1, np.int64)], [], []
    offset = 0
    for k, c in enumerate(problem.classes):
        klass.append(np.full(len(c.origin_nodes), k, dtype=np.int64))
        origin.append(c.origin_nodes.astype(np.int64))
        od_base.append(c.od_start[1:].astype(np.int64) + offset)
        od_dest.append(c.od_dest.astype(np.int64))
        od_volume.append(c.od_volume.astype(np.float64))
        offset += len(c.od_dest)
    return _Demand(*(np.concatenate(a) for a in (klass, origin, od_base, od_dest, od_volume)))


def _empty_bushes(layout: _Layout, demand: _Demand) -> Bushes:
    n = layout.n_nodes[demand.klass]
    m = layout.n_edges[demand.klass]
    order_base = np.concatenate([[0], np.cumsum(n)]).astype(np.int64)
    ptr_base = np.concatenate([[0], np.cumsum(n + 1)]).astype(np.int64)
    edge_base = np.concatenate([[0], np.cumsum(m)]).astype(np.int64)
    empty_int = np.zeros(0, dtype=np.int64)
    return Bushes(
        klass=demand.klass,
        origin=demand.origin,
        size=np.zeros(len(demand.klass), dtype=np.int64),
        span=np.zeros(len(demand.klass), dtype=np.int64),
        order_base=order_base,
        ptr_base=ptr_base,
        edge_base=edge_base,
        order=np.zeros(int(order_base[-1]), dtype=np.int32),
        in_ptr=np.zeros(int(ptr_base[-1]), dtype=np.int32),
        in_edge=np.zeros(int(edge_base[-1]), dtype=np.int32),
        in_flow=np.zeros(int(edge_base[-1])),
        dest_base=np.zeros(len(demand.klass) + 1, dtype=np.int64),
        dest_node=empty_int,
        dest_volume=np.zeros(0),
    )


def _with_destinations(bushes: Bushes, demand: _Demand, reached: BoolArray) -> Bushes:
    """Attach each bush's demand to reachable destinations other than its origin."""
    owner = np.repeat(np.arange(len(demand.klass)), np.diff(demand.od_base))
    keep = reached & (demand.od_volume > 0) & (demand.od_dest != demand.origin[owner])
    counts = np.bincount(owner[keep], minlength=len(demand.klass))
    return bushes._replace(
        dest_base=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        dest_node=demand.od_dest[keep].astype(np.int64),
        dest_volume=demand.od_volume[keep].astype(np.float64),
    )


@dataclass(frozen=True)
class BushState:
    """Warm-start state of Algorithm B: every bush and its flow.

    Bushes are keyed by class name and origin zone; a class's bushes are reused only when
    its routing graph is the same (same allowed links). ``demand_key`` tells whether the
    demand changed (then the flows are reloaded onto the bushes before iterating).
    """

    class_names: tuple[str, ...]
    graph_keys: tuple[tuple[int, int, str], ...]
    origin_zones: tuple[IntArray, ...]
    demand_key: str
    bushes: Bushes
    n_links: int


def _graph_key(problem: AssignmentProblem, k: int) -> tuple[int, int, str]:
    g = problem.classes[k].graph
    digest = hashlib.sha256()
    for array in (g.edge_head, g.edge_tail, g.blocked, g.edge_links):
        digest.update(np.ascontiguousarray(array).tobytes())
    return (g.n_nodes, g.n_edges, digest.hexdigest())


def _demand_key(problem: AssignmentProblem) -> str:
    digest = hashlib.sha256()
    for c in problem.classes:
        digest.update(c.name.encode())
        for array in (c.od_origin, c.od_destination, c.od_volume):
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


_BUSH_FIELDS = (("order", "order_base"), ("in_ptr", "ptr_base"), ("in_edge", "edge_base"),
                ("in_flow", "edge_base"))


def _copy_bushes(old: Bushes, old_rows: IntArray, new: Bushes, new_rows: IntArray) -> None:
    """Copy bushes ``old_rows`` of ``old`` into ``new_rows`` of ``new`` (same class graph)."""
    contiguous = (np.all(np.diff(old_rows) == 1) and np.all(np.diff(new_rows) == 1))
    if contiguous:  # the usual case: one block per array
        for field, base in _BUSH_FIELDS:
            o0, o1 = int(getattr(old, base)[old_rows[0]]), int(getattr(old, base)[old_rows[-1] + 1])
            n0 = int(getattr(new, base)[new_rows[0]])
            getattr(new, field)[n0:n0 + o1 - o0] = getattr(old, field)[o0:o1]
    else:
        for ob, b in zip(old_rows, new_rows, strict=True):
            for field, base in _BUSH_FIELDS:
                o0, o1 = (int(x) for x in getattr(old, base)[ob:ob + 2])
                n0 = int(getattr(new, base)[b])
                getattr(new, field)[n0:n0 + o1 - o0] = getattr(old, field)[o0:o1]
    new.size[new_rows] = old.size[old_rows]
    new.span[new_rows] = old.span[old_rows]


def _restore(state: object, problem: AssignmentProblem, bushes: Bushes) -> BoolArray:
    """Copy the bushes of a fitting earlier state into ``bushes``; returns which were."""
    restored = np.zeros(len(bushes.klass), dtype=np.bool_)
    if not isinstance(state, BushState) or state.n_links != problem.n_links:
        return restored
    first = 0
    for k, c in enumerate(problem.classes):
        rows = np.arange(first, first + len(c.origin_nodes))
        first += len(c.origin_nodes)
        if c.name not in state.class_names:
            continue
        ko = state.class_names.index(c.name)
        if state.graph_keys[ko] != _graph_key(problem, k):
            continue
        old_zones = state.origin_zones[ko]
        old_first = sum(len(z) for z in state.origin_zones[:ko])
        where = np.searchsorted(old_zones, c.origin_zones)
        where = np.minimum(where, max(len(old_zones) - 1, 0))
        found = (len(old_zones) > 0) & (old_zones[where] == c.origin_zones)
        if found.any():
            _copy_bushes(state.bushes, old_first + where[found], bushes, rows[found])
            restored[rows[found]] = True
    return restored


def _class_link_flows(problem: AssignmentProblem, layout: _Layout, bushes: Bushes,
                      threads: int) -> list[FloatArray]:
    if threads > 1:
        edge_flow = bush_edge_flows(layout.edges.edge_base, bushes, threads)
    else:
        edge_flow = np.zeros(int(layout.edges.edge_base[-1]))
        edge_flow_share(0, 1, layout.edges.edge_base, bushes, edge_flow)
    base = layout.edges.edge_base
    return [c.graph.link_values(edge_flow[base[k]:base[k + 1]])
            for k, c in enumerate(problem.classes)]


def _sync_links(problem: AssignmentProblem, layout: _Layout, bushes: Bushes, threads: int
                ) -> list[FloatArray]:
    """Exact total link flows from the bushes; refresh every time and cost."""
    flows = _class_link_flows(problem, layout, bushes, threads)
    layout.links.flow[:] = np.sum(flows, axis=0)
    refresh_costs(layout.edges, layout.links)
    return flows


@dataclass
class _Gap:
    relative: float
    excess: FloatArray
    shortest: FloatArray


def _measure(layout: _Layout, bushes: Bushes, threads: int, update_above: FloatArray
             ) -> _Gap:
    """Gap terms per bush, then update the bushes whose excess is above ``update_above``
    (the costs are the same)."""
    n = len(bushes.klass)
    excess, shortest = np.zeros(n), np.zeros(n)
    if threads > 1:
        measure_gap(layout.graphs, layout.edges, bushes, update_above, MIN_SHARE, threads,
                    *_sizes(layout), excess, shortest)
    else:
        gap_share(0, 1, layout.graphs, layout.edges, bushes, update_above, MIN_SHARE,
                  *_sizes(layout), excess, shortest)
    if not (np.all(np.isfinite(excess)) and np.all(np.isfinite(shortest))):
        raise SteppeError("Algorithm B produced a non-finite cost; check link parameters")
    total = float(shortest.sum())
    return _Gap(float(excess.sum()) / total if total > 0 else 0.0, excess, shortest)


def _objective(problem: AssignmentProblem, flows: list[FloatArray], total: FloatArray) -> float:
    L = problem.links
    return float(bpr_integral(total, L.free_flow_time, L.capacity, L.alpha, L.beta)) + sum(
        float(np.dot(c.fixed_cost, x)) for c, x in zip(problem.classes, flows, strict=True)
    )


def _sweeps(layout: _Layout, bushes: Bushes, gap: _Gap, origin_demand: FloatArray,
            target_gap: float) -> int:
    """Sweep the bushes until their own gap is small against the last measured gap.

    Bushes equilibrated relative to the current gap are skipped: the first sweep visits
    those whose measured excess is above ``SKIP_GAP_RATIO`` × the gap, later ones those
    whose own excess is still above the target (relative to their shortest-path cost, as
    last measured). Returns the number of sweeps.
    """
    n = len(bushes.klass)
    target = max(min(PASS_GAP_RATIO * gap.relative, FINAL_RATIO * target_gap),
                 DEEPEST_RATIO * gap.relative)
    active = gap.excess > SKIP_GAP_RATIO * gap.relative * gap.shortest
    min_flow = MIN_FLOW * np.maximum(origin_demand, 1.0)
    min_excess = target * gap.shortest
    excess = np.zeros(n)
    n_max = int(layout.n_nodes.max())
    work = 0
    sweeps = 0
    while active.any() and sweeps < MAX_SWEEPS and work < SWEEP_BUDGET * n:
        sweep_bushes(layout.graphs, layout.edges, layout.links, bushes, active, min_flow,
                     min_excess, excess, n_max)
        sweeps += 1
        work += int(active.sum())
        if excess.sum() <= target * gap.shortest.sum():
            break
        active &= excess > min_excess
    return sweeps


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
        :class:`BushState` of an earlier run on the same links and classes (link
        attributes and demand volumes may differ); bushes that fit are reused, the others
        start from shortest-path trees.

    Returns
    -------
    SolverOutcome
        Class flows per link row; the state is a :class:`BushState`.
    """
    start = time.perf_counter()
    layout = _layout(problem)
    demand = _bush_demand(problem)
    threads = _threads(config, layout, demand)
    bushes = _empty_bushes(layout, demand)
    restored = _restore(warm_state, problem, bushes)
    if restored.any():
        assert isinstance(warm_state, BushState)
        bushes = _warm_bushes(problem, layout, demand, bushes, restored, warm_state, threads)
    else:
        refresh_costs(layout.edges, layout.links)
        initial_bushes(layout.graphs, layout.edges, layout.links, bushes, demand.od_base,
                       demand.od_dest, demand.od_volume, np.arange(len(demand.klass)))
    reached = _reached(layout, bushes, demand)
    bushes = _with_destinations(bushes, demand, reached)
    served = float(bushes.dest_volume.sum())
    origin_demand = np.zeros(len(demand.klass))
    np.add.at(origin_demand, np.repeat(np.arange(len(demand.klass)), np.diff(bushes.dest_base)),
              bushes.dest_volume)
    rows: list[dict[str, object]] = []
    converged = False
    sweeps = 0
    for iteration in range(1, config.max_iter + 1):
        if iteration > 1:
            sweeps = _sweeps(layout, bushes, gap, origin_demand, config.target_gap)
        flows = _sync_links(problem, layout, bushes, threads)
        # the gap of these flows; the bushes are then updated for the next iteration
        # (rebalancing moves flows by rounding only: the flows reported stay these)
        if iteration == config.max_iter:
            update_above = np.full(len(demand.klass), np.inf)
        elif iteration == 1:
            update_above = np.zeros(len(demand.klass))
        else:
            update_above = UPDATE_GAP_RATIO * gap.relative * gap.shortest
        gap = _measure(layout, bushes, threads, update_above)
        rows.append({
            "iteration": iteration,
            "relative_gap": gap.relative,
            "average_excess_cost": float(gap.excess.sum()) / served if served > 0 else 0.0,
            "objective": _objective(problem, flows, layout.links.flow),
            "step": float(sweeps),
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
    state = BushState(
        class_names=tuple(c.name for c in problem.classes),
        graph_keys=tuple(_graph_key(problem, k) for k in range(len(problem.classes))),
        origin_zones=tuple(c.origin_zones.copy() for c in problem.classes),
        demand_key=_demand_key(problem),
        bushes=bushes,
        n_links=problem.n_links,
    )
    return SolverOutcome(flows, rows, _split(problem, reached), converged, state=state)


def _update(layout: _Layout, bushes: Bushes, which: BoolArray, threads: int) -> None:
    if threads > 1:
        update_bushes(layout.graphs, layout.edges, bushes, which, MIN_SHARE, threads,
                      *_sizes(layout))
    else:
        update_share(0, 1, layout.graphs, layout.edges, bushes, which, MIN_SHARE,
                     *_sizes(layout))


def _sizes(layout: _Layout) -> tuple[int, int]:
    """Scratch sizes: the largest class graph's nodes and edges."""
    return int(layout.n_nodes.max()), int(layout.n_edges.max())


def _threads(config: AssignmentConfig, layout: _Layout, demand: _Demand) -> int:
    threads = max(1, int(config.threads or nb.get_num_threads()))
    n_bushes = len(demand.klass)
    work = n_bushes * int(layout.n_nodes.max() + layout.n_edges.max())
    if n_bushes < 2 * threads or work < PARALLEL_WORK:
        return 1
    return threads


def _reached(layout: _Layout, bushes: Bushes, demand: _Demand) -> BoolArray:
    """Per OD entry: whether the destination is in the origin's bush (bushes span every
    node their origin can reach)."""
    reached = np.zeros(len(demand.od_dest), dtype=np.bool_)
    bush_reach(layout.graphs, bushes, demand.od_base, demand.od_dest, reached,
               _sizes(layout)[0])
    return reached


def _split(problem: AssignmentProblem, reached: BoolArray) -> list[BoolArray]:
    out, first = [], 0
    for c in problem.classes:
        out.append(reached[first:first + len(c.od_dest)].copy())
        first += len(c.od_dest)
    return out


def _warm_bushes(
    problem: AssignmentProblem, layout: _Layout, demand: _Demand, bushes: Bushes,
    restored: BoolArray, state: BushState, threads: int,
) -> Bushes:
    """Start from restored bushes: reload them with the demand if it changed, then add
    shortest-path-tree bushes for origins the state did not have."""
    with_dest = _with_destinations(bushes, demand, _reached(layout, bushes, demand))
    if state.demand_key != _demand_key(problem):
        _sync_links(problem, layout, with_dest, threads)
        _update(layout, with_dest, restored, threads)
    _sync_links(problem, layout, with_dest, threads)
    fresh = np.flatnonzero(~restored)
    if len(fresh):
        initial_bushes(layout.graphs, layout.edges, layout.links, with_dest, demand.od_base,
                       demand.od_dest, demand.od_volume, fresh.astype(np.int64))
    return with_dest
