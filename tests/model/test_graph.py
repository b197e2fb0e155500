"""Graph compilation: contraction keeps shortest paths and flows, crosswalk is complete."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from steppe.assign.kernels.paths import all_or_nothing
from steppe.model import Network, compile_graph


def chain_network() -> Network:
    # zones 1 and 5; 1 -> 2 -> 3 -> 4 -> 5 one-way chain plus a dead end 3 <-> 6
    nodes = pd.DataFrame({"node_id": [1, 2, 3, 4, 5, 6], "zone_id": [1, None, None, None, 5, None]})
    links = pd.DataFrame(
        {
            "link_id": [10, 11, 12, 13, 14, 15],
            "from_node_id": [1, 2, 3, 4, 3, 6],
            "to_node_id": [2, 3, 4, 5, 6, 3],
            "capacity": 1.0,
            "free_flow_time": [1.0, 2.0, 3.0, 4.0, 1.0, 1.0],
        }
    )
    return Network.from_frames(nodes, links)


def test_contraction_merges_chain_and_drops_dead_end():
    graph = compile_graph(chain_network())
    assert graph.n_edges == 1
    assert list(graph.link_edge) == [0, 0, 0, 0, -1, -1]
    assert list(graph.edge_links) == [0, 1, 2, 3]
    costs = np.array([1.0, 2.0, 3.0, 4.0, 1.0, 1.0])
    assert graph.edge_values(costs).tolist() == [10.0]
    assert graph.link_values(np.array([7.0])).tolist() == [7.0, 7.0, 7.0, 7.0, 0.0, 0.0]


def test_no_contraction_keeps_every_link():
    graph = compile_graph(chain_network(), contract=False)
    assert graph.n_edges == 6
    assert sorted(graph.link_edge.tolist()) == list(range(6))


def test_link_mask_excludes_links():
    mask = np.array([True, True, False, True, True, True])
    graph = compile_graph(chain_network(), link_mask=mask, contract=False)
    assert graph.link_edge[2] == -1


@st.composite
def road_networks(draw):
    """Random networks with two-way streets, one-way streets, chains and zones."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 25))
    pairs = set()
    for _ in range(int(rng.integers(n, 3 * n))):
        a, b = (int(v) for v in rng.integers(1, n + 1, 2))
        if a != b:
            pairs.add((a, b))
            if rng.random() < 0.6:
                pairs.add((b, a))
    pairs = sorted(pairs)
    zones = rng.choice(np.arange(1, n + 1), size=min(n, int(rng.integers(2, 6))), replace=False)
    nodes = pd.DataFrame({"node_id": np.arange(1, n + 1)})
    nodes["zone_id"] = pd.Series(
        [i if i in set(zones.tolist()) else None for i in nodes["node_id"]], dtype="Int64"
    )
    links = pd.DataFrame(
        {
            "link_id": np.arange(len(pairs)) + 1,
            "from_node_id": [a for a, _ in pairs],
            "to_node_id": [b for _, b in pairs],
            "capacity": 1.0,
            "free_flow_time": rng.uniform(0.1, 5.0, len(pairs)),
        }
    )
    return Network.from_frames(nodes, links), rng


def aon_link_flows(network, graph, link_cost, od):
    position = {int(z): int(p) for z, p in zip(graph.zone_ids, graph.zone_nodes, strict=True)}
    od = sorted(od)
    origins = sorted({o for o, _, _ in od})
    origin_nodes = np.array([position[o] for o in origins], np.int64)
    od_start = np.append(np.searchsorted([o for o, _, _ in od], origins), len(od)).astype(np.int64)
    od_dest = np.array([position[d] for _, d, _ in od], np.int64)
    od_volume = np.array([v for _, _, v in od])
    edge_flow, origin_cost, reached = all_or_nothing(
        graph.edge_start,
        graph.edge_head,
        graph.edge_tail,
        graph.edge_values(link_cost),
        graph.blocked,
        origin_nodes,
        od_start,
        od_dest,
        od_volume,
    )
    return graph.link_values(edge_flow), origin_cost.sum(), reached


@given(road_networks())
@settings(max_examples=120, deadline=None)
def test_contracted_graph_gives_same_costs_and_link_flows(case):
    network, rng = case
    zones = network.zones["zone_id"].tolist()
    od = [(o, d, float(rng.uniform(1, 3))) for o in zones for d in zones if o != d]
    cost = network.links["free_flow_time"].to_numpy()
    full = aon_link_flows(network, compile_graph(network, contract=False), cost, od)
    small = aon_link_flows(network, compile_graph(network, contract=True), cost, od)
    np.testing.assert_allclose(small[0], full[0], rtol=1e-10, atol=1e-10)
    assert small[1] == full[1] or abs(small[1] - full[1]) <= 1e-9 * abs(full[1])
    np.testing.assert_array_equal(small[2], full[2])
