"""Path sets of the logit SUE solver, in network link rows, and routing over all classes.

* :class:`UnionGraph` — every class's compiled graph side by side (node and edge positions
  offset), so one shortest-path call serves every (class, origin) pair;
* :class:`PathSets` — the generated paths of every OD entry of every class, as link-row
  arrays with their flows; :meth:`PathSets.flat` lays them out for the kernels of
  :mod:`steppe.assign.kernels.sue_equilibrate`;
* :class:`SueState` — the warm-start state: path sets keyed by class name and OD zones, so
  a later run on a changed network (links removed, costs or demand changed) can start from
  them (see :func:`warm_paths`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from steppe.assign.kernels.logit import extract_paths
from steppe.assign.kernels.sue_equilibrate import shortest_trees
from steppe.assign.problem import AssignmentProblem, FloatArray, IntArray


@dataclass(frozen=True)
class UnionGraph:
    """All class graphs as one disjoint CSR graph, with edges expanded to link rows."""

    edge_start: IntArray
    edge_tail: IntArray
    edge_head: IntArray
    blocked: np.ndarray
    edge_link_start: IntArray
    edge_links: IntArray
    entry_edge: IntArray
    edge_fixed: FloatArray
    origin_nodes: IntArray
    od_start: IntArray
    od_dest: IntArray

    @classmethod
    def of(cls, problem: AssignmentProblem) -> UnionGraph:
        """Lay the class graphs of ``problem`` side by side (OD entries in class order)."""
        parts: dict[str, list[np.ndarray]] = {k: [] for k in (
            "start", "tail", "head", "blocked", "el_start", "el", "fixed", "origin",
            "od_start", "od_dest")}
        nodes = edges = entries = ods = 0
        for c in problem.classes:
            g = c.graph
            parts["start"].append(g.edge_start[:-1] + edges)
            parts["tail"].append(g.edge_tail + nodes)
            parts["head"].append(g.edge_head + nodes)
            parts["blocked"].append(g.blocked)
            parts["el_start"].append(g.edge_link_start[:-1] + entries)
            parts["el"].append(g.edge_links)
            per_entry = c.fixed_cost[g.edge_links]
            owner = np.repeat(np.arange(g.n_edges), np.diff(g.edge_link_start))
            parts["fixed"].append(np.bincount(owner, per_entry, minlength=g.n_edges))
            parts["origin"].append(c.origin_nodes + nodes)
            parts["od_start"].append(c.od_start[:-1] + ods)
            parts["od_dest"].append(c.od_dest + nodes)
            nodes, edges = nodes + g.n_nodes, edges + g.n_edges
            entries, ods = entries + len(g.edge_links), ods + len(c.od_dest)
        joined = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
        el_start = np.append(joined["el_start"], entries).astype(np.int64)
        return cls(
            edge_start=np.append(joined["start"], edges).astype(np.int64),
            edge_tail=joined["tail"].astype(np.int64),
            edge_head=joined["head"].astype(np.int64),
            blocked=joined["blocked"].astype(np.bool_),
            edge_link_start=el_start,
            edge_links=joined["el"].astype(np.int64),
            entry_edge=np.repeat(np.arange(edges, dtype=np.int64), np.diff(el_start)),
            edge_fixed=joined["fixed"].astype(np.float64),
            origin_nodes=joined["origin"].astype(np.int64),
            od_start=np.append(joined["od_start"], ods).astype(np.int64),
            od_dest=joined["od_dest"].astype(np.int64),
        )

    def key(self, link_cost: FloatArray) -> str:
        """Digest of the graphs, fixed costs and ``link_cost`` (e.g. free-flow times)."""
        digest = hashlib.sha256()
        for array in (self.edge_start, self.edge_head, self.edge_links, self.edge_fixed,
                      self.origin_nodes, self.od_dest, link_cost):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def edge_cost(self, link_time: FloatArray) -> FloatArray:
        """Edge costs: fixed part plus the flow-dependent time of the edge's links."""
        n = len(self.edge_head)
        timed = np.bincount(self.entry_edge, link_time[self.edge_links], minlength=n)
        return np.maximum(self.edge_fixed + timed, 0.0)

    def shortest(
        self, edge_cost: FloatArray
    ) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
        """Shortest path of every OD entry as link rows.

        Returns the CSR start per OD entry, the link rows, the cost per OD entry (``inf``
        where unreachable) and the union edges of all the paths.
        """
        n_origins, n_nodes = len(self.origin_nodes), len(self.edge_start) - 1
        pred = np.empty((n_origins, n_nodes), dtype=np.int64)
        dist = np.empty((n_origins, n_nodes))
        shortest_trees(self.edge_start, self.edge_head, edge_cost, self.blocked,
                       self.origin_nodes, pred, dist)
        start, edges, cost = extract_paths(pred, dist, self.edge_tail, self.origin_nodes,
                                           self.od_start, self.od_dest)
        first = self.edge_link_start[edges]
        counts = self.edge_link_start[edges + 1] - first
        offsets = np.cumsum(counts) - counts
        links = self.edge_links[np.repeat(first - offsets, counts) + np.arange(counts.sum())]
        cumulative = np.zeros(len(edges) + 1, dtype=np.int64)
        np.cumsum(counts, out=cumulative[1:])
        return cumulative[start], links.astype(np.int64), cost, edges


@dataclass
class Flat:
    """A path set as flat arrays for the kernels (OD-major, classes concatenated)."""

    od_path_start: IntArray
    path_start: IntArray
    path_links: IntArray
    path_fixed: FloatArray
    flow: FloatArray
    path_od: IntArray


class PathSets:
    """Generated paths (link rows) and their flows, per OD entry of every class."""

    def __init__(self, n_od: int) -> None:
        self.keys: list[dict[bytes, int]] = [{} for _ in range(n_od)]
        self.links: list[list[IntArray]] = [[] for _ in range(n_od)]
        self.flows: list[list[float]] = [[] for _ in range(n_od)]

    def add(self, od: int, links: IntArray, flow: float = 0.0) -> tuple[int, bool]:
        """Index of the path within its OD entry, and whether it is new."""
        key = links.tobytes()
        found = self.keys[od].get(key)
        if found is not None:
            return found, False
        self.keys[od][key] = len(self.links[od])
        self.links[od].append(links.copy())
        self.flows[od].append(flow)
        return len(self.links[od]) - 1, True

    def copy(self) -> PathSets:
        """An independent copy (the link arrays, never changed, are shared)."""
        out = PathSets(0)
        out.keys = [dict(k) for k in self.keys]
        out.links = [list(p) for p in self.links]
        out.flows = [list(f) for f in self.flows]
        return out

    def flat(self, od_class: IntArray, class_fixed: list[FloatArray]) -> Flat:
        """The flat layout; ``path_fixed`` sums each path's class fixed costs."""
        counts = np.array([len(p) for p in self.links], dtype=np.int64)
        od_path_start = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=od_path_start[1:])
        every = [p for per_od in self.links for p in per_od]
        lengths = np.array([len(p) for p in every], dtype=np.int64)
        path_start = np.zeros(len(every) + 1, dtype=np.int64)
        np.cumsum(lengths, out=path_start[1:])
        links = np.concatenate(every).astype(np.int64) if every else np.zeros(0, np.int64)
        path_od = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        fixed = path_sums(od_class[path_od], lengths, links, class_fixed)
        flow = np.array([f for per_od in self.flows for f in per_od], dtype=np.float64)
        return Flat(od_path_start, path_start, links, fixed, flow, path_od)

    def store(self, flat: Flat) -> None:
        """Copy the flows of ``flat`` back (same paths, maybe more added since)."""
        for od in range(len(self.flows)):
            lo, hi = flat.od_path_start[od], flat.od_path_start[od + 1]
            self.flows[od][: hi - lo] = flat.flow[lo:hi].tolist()


def path_sums(path_class: IntArray, lengths: IntArray, links: IntArray,
               class_values: list[FloatArray]) -> FloatArray:
    """Per path, the sum over its links of its class's link values."""
    if not len(lengths):
        return np.zeros(0)
    table = np.vstack(class_values)
    entry_path = np.repeat(np.arange(len(lengths)), lengths)
    per_entry = table[path_class[entry_path], links]
    return np.bincount(entry_path, per_entry, minlength=len(lengths)).astype(np.float64)


OdLayout = tuple[tuple[str, tuple[tuple[int, int], ...]], ...]
"""Per class, in problem order: its name and its (origin, destination) zone pairs."""
PathDict = dict[str, dict[tuple[int, int], tuple[list[IntArray], list[float]]]]


def od_layout(problem: AssignmentProblem) -> OdLayout:
    """The OD entries of ``problem``: per class, its name and (origin, destination) pairs."""
    return tuple(
        (c.name, tuple(zip(c.od_origin.tolist(), c.od_destination.tolist(), strict=True)))
        for c in problem.classes
    )


@dataclass(frozen=True)
class SueState:
    """Warm-start state of the SUE solver: the path sets of a solved problem.

    ``path_sets`` are laid out by ``layout`` (OD entries in class order) on link rows of a
    network with ``n_links`` links; :attr:`paths` gives them by class name and OD zone pair,
    so a later run on a changed network (links removed, costs or demand changed) can start
    from them (see :func:`warm_paths`).
    """

    layout: OdLayout
    path_sets: PathSets = field(repr=False, compare=False)
    n_links: int
    network_key: str = ""
    """:meth:`UnionGraph.key` of the network solved (with its free-flow link costs)."""
    classes: tuple[object, ...] | None = field(default=None, repr=False, compare=False)
    """The class arrays solved (``AssignmentProblem.classes``) and their union graph, so a
    run on the very same arrays (e.g. the next capacity round) need not lay it out again."""
    union: UnionGraph | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_paths(cls, paths: PathDict, n_links: int, network_key: str = "") -> SueState:
        """A state from path sets by class name and OD zone pair."""
        layout = tuple((name, tuple(per_od)) for name, per_od in paths.items())
        sets = PathSets(sum(len(ods) for _, ods in layout))
        od = 0
        for name, ods in layout:
            for key in ods:
                for p, f in zip(*paths[name][key], strict=True):
                    sets.add(od, p, f)
                od += 1
        return cls(layout, sets, n_links, network_key)

    @cached_property
    def paths(self) -> PathDict:
        """Per class name, per (origin, destination) zone pair: the paths and their flows."""
        out: PathDict = {}
        od = 0
        for name, ods in self.layout:
            per_od = out.setdefault(name, {})
            for key in ods:
                per_od[key] = (list(self.path_sets.links[od]), list(self.path_sets.flows[od]))
                od += 1
        return out

    def remapped(self, row_map: IntArray) -> SueState:
        """The state on another link numbering (``row_map[old] = new row``, -1: gone)."""
        out: PathDict = {}
        for name, per_od in self.paths.items():
            out[name] = {}
            for key, (links, flows) in per_od.items():
                kept = [(row_map[p], f) for p, f in zip(links, flows, strict=True)
                        if np.all(row_map[p] >= 0)]
                out[name][key] = ([p for p, _ in kept], [f for _, f in kept])
        return SueState.from_paths(out, int(row_map.max(initial=-1)) + 1)  # another network


def state_of(problem: AssignmentProblem, paths: PathSets, network_key: str,
             union: UnionGraph | None = None) -> SueState:
    """The warm-start state of solved path sets (a copy: the solver may go on with them)."""
    return SueState(od_layout(problem), paths.copy(), problem.n_links, network_key,
                    problem.classes, union)


def warm_paths(problem: AssignmentProblem, state: SueState) -> PathSets:
    """Path sets of ``problem`` seeded from ``state``.

    Paths through links the class may not use are dropped; the flows left on an OD entry
    are scaled to its current volume (an entry with none left starts empty).
    """
    layout = od_layout(problem)
    same = layout == state.layout and state.n_links == problem.n_links
    return _rescaled(problem, state.path_sets if same else _relaid(layout, state, problem.n_links))


def _relaid(layout: OdLayout, state: SueState, n_links: int) -> PathSets:
    """The state's paths on the OD entries of ``layout``, matched by class and zone pair.

    Paths through link rows beyond ``n_links`` are dropped.
    """
    paths = PathSets(sum(len(ods) for _, ods in layout))
    od = 0
    for name, ods in layout:
        previous = state.paths.get(name, {})
        for key in ods:
            for p, f in zip(*previous.get(key, ([], [])), strict=True):
                if len(p) and int(p.max()) < n_links:
                    paths.add(od, p, f)
            od += 1
    return paths


def _rescaled(problem: AssignmentProblem, previous: PathSets) -> PathSets:
    """``previous`` on ``problem`` (same OD entries and link rows).

    Paths the class may no longer use are dropped; flows are scaled to the current volumes.
    """
    od_class = np.repeat(np.arange(len(problem.classes)),
                         [len(c.od_volume) for c in problem.classes])
    volume = np.concatenate([np.zeros(0)] + [c.od_volume for c in problem.classes])
    every = [p for per_od in previous.links for p in per_od]
    path_od = np.repeat(np.arange(len(od_class)), [len(p) for p in previous.links])
    lengths = np.array([len(p) for p in every], dtype=np.int64)
    links = np.concatenate(every).astype(np.int64) if every else np.zeros(0, np.int64)
    unusable = [(c.graph.link_edge < 0).astype(np.float64) for c in problem.classes]
    ok = (lengths > 0) & (path_sums(od_class[path_od], lengths, links, unusable) == 0)
    paths = PathSets(len(od_class))
    k = 0
    for od, (per_od, flows) in enumerate(zip(previous.links, previous.flows, strict=True)):
        keep = ok[k: k + len(per_od)]
        k += len(per_od)
        total = sum(f for f, good in zip(flows, keep, strict=True) if good)
        scale = float(volume[od]) / total if total > 0 else 0.0
        kept = [(p, f * scale) for p, f, good in zip(per_od, flows, keep, strict=True) if good]
        paths.links[od] = [p for p, _ in kept]  # never changed: shared, not copied
        paths.flows[od] = [f for _, f in kept]
        paths.keys[od] = {p.tobytes(): i for i, (p, _) in enumerate(kept)}
    return paths
