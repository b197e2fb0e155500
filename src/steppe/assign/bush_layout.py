"""The arrays Algorithm B works on, built from an :class:`AssignmentProblem`.

All classes' routing graphs and all bushes (one per origin and class) are laid out flat
(see :mod:`steppe.assign.kernels.bush_layout`); links carry the total flow and its BPR
time, shared by every class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steppe.assign.kernels.bush_drivers import bush_edge_flows, bush_reach
from steppe.assign.kernels.bush_layout import Bushes, ClassGraphs
from steppe.assign.kernels.bush_shift import EdgeCosts, LinkCosts
from steppe.assign.problem import AssignmentProblem, BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class BushLayout:
    """Flat arrays of all classes' graphs and costs, and each class's graph size."""

    graphs: ClassGraphs
    edges: EdgeCosts
    links: LinkCosts
    n_nodes: IntArray
    n_edges: IntArray

    @property
    def sizes(self) -> tuple[int, int]:
        """Scratch sizes: the largest class graph's nodes and edges."""
        return int(self.n_nodes.max()), int(self.n_edges.max())


def _offsets(counts: IntArray) -> IntArray:
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def build_layout(problem: AssignmentProblem) -> BushLayout:
    """Lay out every class's graph, the edge→link crosswalk and link BPR parameters."""
    n_links = problem.n_links
    graphs = [c.graph for c in problem.classes]
    n_nodes = np.array([g.n_nodes for g in graphs], dtype=np.int64)
    n_edges = np.array([g.n_edges for g in graphs], dtype=np.int64)
    edge_base = _offsets(n_edges)
    link_edge = np.full(len(graphs) * n_links, -1, dtype=np.int64)
    for k, g in enumerate(graphs):
        used = g.link_edge >= 0
        link_edge[k * n_links + np.flatnonzero(used)] = edge_base[k] + g.link_edge[used]
    class_graphs = ClassGraphs(
        node_base=_offsets(n_nodes),
        start_base=_offsets(n_nodes + 1),
        edge_start=np.concatenate([g.edge_start for g in graphs]).astype(np.int64),
        edge_head=np.concatenate([g.edge_head for g in graphs]).astype(np.int64),
        edge_tail=np.concatenate([g.edge_tail for g in graphs]).astype(np.int64),
        blocked=np.concatenate([g.blocked for g in graphs]).astype(np.bool_),
    )
    edges = EdgeCosts(
        edge_base=edge_base,
        link_start=_offsets(np.concatenate([np.diff(g.edge_link_start) for g in graphs])),
        links=np.concatenate([g.edge_links for g in graphs]).astype(np.int64),
        link_edge=link_edge,
        fixed=np.concatenate([g.edge_values(c.fixed_cost)
                              for g, c in zip(graphs, problem.classes, strict=True)]),
        cost=np.zeros(int(edge_base[-1])),
        derivative=np.zeros(int(edge_base[-1])),
    )
    L = problem.links
    links = LinkCosts(
        t0=np.ascontiguousarray(L.free_flow_time, dtype=np.float64),
        capacity=np.ascontiguousarray(L.capacity, dtype=np.float64),
        alpha=np.ascontiguousarray(L.alpha, dtype=np.float64),
        beta=np.ascontiguousarray(L.beta, dtype=np.float64),
        hard_capacity=np.ascontiguousarray(L.hard_capacity, dtype=np.float64),
        multiplier=np.ascontiguousarray(L.multiplier, dtype=np.float64),
        penalty_weight=np.ascontiguousarray(L.penalty_weight, dtype=np.float64),
        flow=np.zeros(n_links),
        time=np.zeros(n_links),
        derivative=np.zeros(n_links),
    )
    return BushLayout(class_graphs, edges, links, n_nodes, n_edges)


@dataclass(frozen=True)
class BushDemand:
    """Every bush's class, origin node and OD entries (class CSR tables concatenated)."""

    klass: IntArray
    origin: IntArray
    od_base: IntArray
    od_dest: IntArray
    od_volume: FloatArray

    def by_class(self, problem: AssignmentProblem, per_entry: BoolArray) -> list[BoolArray]:
        """Split a per-OD-entry array back into the classes' tables."""
        bounds = _offsets(np.array([len(c.od_dest) for c in problem.classes], dtype=np.int64))
        return [per_entry[bounds[k]:bounds[k + 1]].copy() for k in range(len(problem.classes))]


def bush_demand(problem: AssignmentProblem) -> BushDemand:
    """One bush per origin row of every class, in class order."""
    parts: list[list[np.ndarray]] = [[], [], [np.zeros(1, np.int64)], [], []]
    offset = 0
    for k, c in enumerate(problem.classes):
        parts[0].append(np.full(len(c.origin_nodes), k, dtype=np.int64))
        parts[1].append(c.origin_nodes.astype(np.int64))
        parts[2].append(c.od_start[1:].astype(np.int64) + offset)
        parts[3].append(c.od_dest.astype(np.int64))
        parts[4].append(c.od_volume.astype(np.float64))
        offset += len(c.od_dest)
    return BushDemand(*(np.concatenate(p) for p in parts))


def empty_bushes(layout: BushLayout, demand: BushDemand) -> Bushes:
    """Storage for every bush, sized for its class's whole graph; no bush built yet."""
    n = layout.n_nodes[demand.klass]
    m = layout.n_edges[demand.klass]
    order_base, ptr_base, edge_base = _offsets(n), _offsets(n + 1), _offsets(m)
    count = len(demand.klass)
    return Bushes(
        klass=demand.klass,
        origin=demand.origin,
        size=np.zeros(count, dtype=np.int64),
        span=np.zeros(count, dtype=np.int64),
        order_base=order_base,
        ptr_base=ptr_base,
        edge_base=edge_base,
        order=np.zeros(int(order_base[-1]), dtype=np.int32),
        in_ptr=np.zeros(int(ptr_base[-1]), dtype=np.int32),
        in_edge=np.zeros(int(edge_base[-1]), dtype=np.int32),
        in_flow=np.zeros(int(edge_base[-1])),
        dest_base=np.zeros(count + 1, dtype=np.int64),
        dest_node=np.zeros(0, dtype=np.int64),
        dest_volume=np.zeros(0),
    )


def reached(layout: BushLayout, bushes: Bushes, demand: BushDemand) -> BoolArray:
    """Per OD entry: whether the destination is in the origin's bush.

    A built bush spans every node its origin can reach.
    """
    out = np.zeros(len(demand.od_dest), dtype=np.bool_)
    bush_reach(bushes, demand.od_base, demand.od_dest, out, layout.sizes[0])
    return out


def with_destinations(bushes: Bushes, demand: BushDemand, reachable: BoolArray) -> Bushes:
    """Attach each bush's demand to reachable destinations other than its origin."""
    owner = np.repeat(np.arange(len(demand.klass)), np.diff(demand.od_base))
    keep = reachable & (demand.od_volume > 0) & (demand.od_dest != demand.origin[owner])
    counts = np.bincount(owner[keep], minlength=len(demand.klass))
    return bushes._replace(
        dest_base=_offsets(counts),
        dest_node=demand.od_dest[keep].astype(np.int64),
        dest_volume=demand.od_volume[keep].astype(np.float64),
    )


def class_link_flows(problem: AssignmentProblem, layout: BushLayout, bushes: Bushes
                     ) -> list[FloatArray]:
    """Flow per network link row of each class, summed over its bushes.

    Serial: one streaming pass over the bush slots (under a millisecond on Chicago-Sketch)
    costs less than waking a thread pool, which under load can take several.
    """
    base = layout.edges.edge_base
    edge_flow = np.zeros(int(base[-1]))
    bush_edge_flows(base, bushes, edge_flow)
    return [c.graph.link_values(edge_flow[base[k]:base[k + 1]])
            for k, c in enumerate(problem.classes)]
