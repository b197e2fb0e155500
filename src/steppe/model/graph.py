"""The compiled graph: a forward-star (CSR) view of a network for the numba kernels.

Compilation maps node ids to positions, keeps a crosswalk from each routing edge back to the
network's link rows, and (by default) shrinks the graph without changing any shortest path:

* **dead ends** — a node that is not a centroid and cannot lie on a path between two other
  nodes (no way in, no way out, or a single neighbour) is removed with its links, which can
  never carry flow;
* **chains** — a node that is not a centroid, with one way in and one way out (or a two-way
  road through it: two neighbours, in and out to each) is bypassed: the links through it are
  merged into one routing edge whose cost is the sum of its links' costs and whose flow is
  every one of its links' flow.

Kernels route on edges; :meth:`CompiledGraph.link_values` maps edge values back to links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from steppe.model.network import Network

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CompiledGraph:
    """A CSR routing graph with a crosswalk to the network's links.

    Attributes
    ----------
    node_ids
        Network node id at each node position (only nodes that routing can reach: zone
        centroids and the ends of routing edges).
    zone_ids
        Zone ids, sorted; ``zone_nodes[i]`` is the centroid node position of ``zone_ids[i]``.
    zone_nodes
        Centroid node position of each zone.
    blocked
        Per node position: true where paths may not pass through (centroid connectors only).
    edge_start
        CSR offsets: the edges leaving node ``v`` are ``edge_start[v]:edge_start[v + 1]``.
    edge_tail, edge_head
        Tail and head node position of each edge.
    link_edge
        Per network link row: the edge carrying it, or -1 where the link was removed (it can
        never carry flow) or excluded by the link mask.
    edge_link_start, edge_links
        CSR of the link rows that make up each edge, in path order.
    n_links
        Number of links in the network.
    """

    node_ids: IntArray
    zone_ids: IntArray
    zone_nodes: IntArray
    blocked: BoolArray
    edge_start: IntArray
    edge_tail: IntArray
    edge_head: IntArray
    link_edge: IntArray
    edge_link_start: IntArray
    edge_links: IntArray
    n_links: int

    @property
    def n_nodes(self) -> int:
        """Number of node positions."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of routing edges."""
        return len(self.edge_head)

    def edge_values(self, link_values: FloatArray) -> FloatArray:
        """Sum per-link values (e.g. costs) over each edge's links."""
        used = self.link_edge >= 0
        return np.bincount(
            self.link_edge[used], weights=link_values[used], minlength=self.n_edges
        ).astype(np.float64)

    def link_values(self, edge_values: FloatArray) -> FloatArray:
        """Spread per-edge values (e.g. flows) onto every link of each edge; 0 elsewhere."""
        out = np.zeros(self.n_links)
        used = self.link_edge >= 0
        out[used] = edge_values[self.link_edge[used]]
        return out


@dataclass(frozen=True)
class _Topology:
    """What every compilation of one network shares: node positions, link ends, centroids."""

    node_ids: IntArray
    zone_ids: IntArray
    zone_nodes: IntArray
    protected: BoolArray
    blocked: BoolArray
    tail: IntArray
    head: IntArray


def _topology(network: Network) -> _Topology:
    node_ids = network.nodes["node_id"].to_numpy(dtype=np.int64)
    position = pd.Index(node_ids)
    zones = network.zones
    zone_nodes = _positions(position, zones["node_id"], "zones.node_id")
    protected = np.zeros(len(node_ids), bool)
    protected[zone_nodes] = True
    return _Topology(
        node_ids=node_ids,
        zone_ids=zones["zone_id"].to_numpy(np.int64),
        zone_nodes=zone_nodes,
        protected=protected,
        blocked=~network.nodes["through_traffic"].fillna(True).to_numpy(dtype=bool),
        tail=_positions(position, network.links["from_node_id"], "links.from_node_id"),
        head=_positions(position, network.links["to_node_id"], "links.to_node_id"),
    )


def compile_graph(
    network: Network, *, link_mask: BoolArray | None = None, contract: bool = True
) -> CompiledGraph:
    """Compile a network into a routing graph.

    Parameters
    ----------
    network
        The network.
    link_mask
        Per link row, whether the link may be used (e.g. by one demand class). All by default.
    contract
        Remove dead ends and merge chains (see module docstring). Shortest-path costs and
        link flows are the same either way; routing is faster with it.

    Returns
    -------
    CompiledGraph
    """
    return compile_graphs(network, [link_mask], contract=contract)[0]


def compile_graphs(
    network: Network, link_masks: Sequence[BoolArray | None], *, contract: bool = True
) -> list[CompiledGraph]:
    """Compile one network under several link masks (e.g. one per demand class).

    Same as :func:`compile_graph` for each mask; the node and link tables are read once,
    and masks that are equal share one graph.
    """
    topology = _topology(network)
    compiled: dict[bytes, CompiledGraph] = {}
    out = []
    for mask in link_masks:
        active = (np.ones(len(topology.tail), bool) if mask is None
                  else np.asarray(mask, bool).copy())
        key = active.tobytes()
        if key not in compiled:
            compiled[key] = _compile(topology, active, contract)
        out.append(compiled[key])
    return out


def _compile(topology: _Topology, active: BoolArray, contract: bool) -> CompiledGraph:
    t = topology
    if contract:
        active = _prune_dead_ends(t.tail, t.head, active, t.protected)
        chains = _chains(t.tail, t.head, active, t.protected | t.blocked, len(t.node_ids))
    else:
        chains = [[int(i)] for i in np.flatnonzero(active)]
    return _assemble(t.node_ids, t.zone_ids, t.zone_nodes, t.blocked, t.tail, t.head, chains,
                     len(t.tail))


def _positions(position: pd.Index, ids: pd.Series, field: str) -> IntArray:
    """Node position of each node id (a validated network names only its own nodes)."""
    found: IntArray = np.asarray(position.get_indexer(ids.to_numpy(dtype=np.int64)), np.int64)
    if (found < 0).any():
        raise KeyError(f"{field} {int(ids.iloc[int(np.argmax(found < 0))])} is not a node")
    return found


def _prune_dead_ends(
    tail: IntArray, head: IntArray, active: BoolArray, protected: BoolArray
) -> BoolArray:
    """Deactivate links of non-protected nodes that cannot be on a path between others."""
    active = active.copy()
    n = len(protected)
    while True:
        a_tail, a_head = tail[active], head[active]
        indeg = np.bincount(a_head, minlength=n)
        outdeg = np.bincount(a_tail, minlength=n)
        neighbours = _distinct_neighbour_count(a_tail, a_head, n)
        dead = ~protected & ((indeg == 0) | (outdeg == 0) | (neighbours <= 1))
        kill = active & (dead[tail] | dead[head])
        if not kill.any():
            return active
        active &= ~kill


def _distinct_neighbour_count(tail: IntArray, head: IntArray, n: int) -> IntArray:
    a = np.concatenate([tail, head])
    b = np.concatenate([head, tail])
    pairs = np.unique(a * n + b)
    return np.bincount(pairs // n, minlength=n).astype(np.int64)


def _through_nodes(
    tail: IntArray, head: IntArray, active: BoolArray, keep: BoolArray, n: int
) -> BoolArray:
    """Nodes a chain may pass: one in/one out, or a two-way road with two neighbours."""
    a_tail, a_head = tail[active], head[active]
    indeg = np.bincount(a_head, minlength=n)
    outdeg = np.bincount(a_tail, minlength=n)
    neighbours = _distinct_neighbour_count(a_tail, a_head, n)
    one_way = (indeg == 1) & (outdeg == 1) & (neighbours == 2)
    two_way = (indeg == 2) & (outdeg == 2) & (neighbours == 2)
    through: BoolArray = ~keep & (one_way | two_way)
    return through


def _chains(
    tail: IntArray, head: IntArray, active: BoolArray, keep: BoolArray, n: int
) -> list[list[int]]:
    """Group active links into chains that run from a junction to a junction."""
    through_array = _through_nodes(tail, head, active, keep, n)
    through: list[bool] = through_array.tolist()  # plain lists: this loop is pure Python
    tails: list[int] = tail.tolist()
    heads: list[int] = head.tolist()
    out_links: list[list[int]] = [[] for _ in range(n)]
    for link in np.flatnonzero(active).tolist():
        out_links[tails[link]].append(link)
    chains: list[list[int]] = []
    for link in np.flatnonzero(active & ~through_array[tail]).tolist():
        chain = [link]
        previous, node = tails[link], heads[link]
        while through[node]:
            step = next(k for k in out_links[node] if heads[k] != previous)
            chain.append(step)
            previous, node = node, heads[step]
        chains.append(chain)
    return chains


def _assemble(
    node_ids: IntArray,
    zone_ids: IntArray,
    zone_nodes: IntArray,
    blocked: BoolArray,
    tail: IntArray,
    head: IntArray,
    chains: list[list[int]],
    n_links: int,
) -> CompiledGraph:
    edge_tail = np.array([tail[c[0]] for c in chains], dtype=np.int64)
    edge_head = np.array([head[c[-1]] for c in chains], dtype=np.int64)
    # keep only node positions that routing can reach: smaller scratch, better locality
    used = np.zeros(len(node_ids), dtype=bool)
    used[edge_tail] = used[edge_head] = used[zone_nodes] = True
    new_position = np.cumsum(used) - 1
    node_ids, blocked = node_ids[used], blocked[used]
    edge_tail, edge_head = new_position[edge_tail], new_position[edge_head]
    zone_nodes = new_position[zone_nodes]
    order = np.argsort(edge_tail, kind="stable")
    chains = [chains[i] for i in order]
    edge_tail, edge_head = edge_tail[order], edge_head[order]
    counts = np.bincount(edge_tail, minlength=len(node_ids))
    edge_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    sizes = np.array([len(c) for c in chains], dtype=np.int64)
    edge_link_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    edge_links = np.array([k for c in chains for k in c], dtype=np.int64)
    link_edge = np.full(n_links, -1, dtype=np.int64)
    link_edge[edge_links] = np.repeat(np.arange(len(chains), dtype=np.int64), sizes)
    return CompiledGraph(
        node_ids=node_ids,
        zone_ids=zone_ids,
        zone_nodes=zone_nodes,
        blocked=blocked.astype(np.bool_),
        edge_start=edge_start,
        edge_tail=edge_tail,
        edge_head=edge_head,
        link_edge=link_edge,
        edge_link_start=edge_link_start,
        edge_links=edge_links,
        n_links=n_links,
    )
