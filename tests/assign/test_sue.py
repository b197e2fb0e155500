"""Logit stochastic user equilibrium: kernels and solver against slow references."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from reference import dijkstra_reference

from steppe.assign import AssignmentConfig, ClassCost, assign
from steppe.assign.kernels.logit import logit_shares, shortest_paths
from steppe.errors import InputError
from steppe.model import Demand, Network


def _grid() -> tuple[pd.DataFrame, pd.DataFrame]:
    """1 → {2, 3} → 4 with a cross link 2 → 3: three routes, BPR congestion."""
    nodes = pd.DataFrame({"node_id": [1, 2, 3, 4], "zone_id": [1, None, None, 4]})
    links = pd.DataFrame(
        {
            "link_id": [1, 2, 3, 4, 5],
            "from_node_id": [1, 1, 2, 3, 2],
            "to_node_id": [2, 3, 4, 4, 3],
            "capacity": [20.0, 15.0, 15.0, 20.0, 10.0],
            "free_flow_time": [2.0, 4.0, 5.0, 2.0, 1.0],
        }
    )
    return nodes, links


ROUTES = ([1, 3], [2, 4], [1, 5, 4])  # link ids


def _route_times(flows: dict[int, float], links: pd.DataFrame) -> list[float]:
    t = {
        r.link_id: r.free_flow_time * (1 + 0.15 * (flows[r.link_id] / r.capacity) ** 4)
        for r in links.itertuples()
    }
    return [sum(t[a] for a in route) for route in ROUTES]


def reference_sue(links: pd.DataFrame, demand: float, theta: float) -> np.ndarray:
    """Damped fixed point f ← f + (d·logit(c(f)) − f)/(k+2)^0.6 over the enumerated routes."""
    ids = links["link_id"].tolist()
    incidence = np.array([[a in r for r in ROUTES] for a in ids], dtype=float)
    t0, cap = links["free_flow_time"].to_numpy(), links["capacity"].to_numpy()
    f = np.full(3, demand / 3)
    for k in range(20_000):
        times = t0 * (1 + 0.15 * (incidence @ f / cap) ** 4)
        c = incidence.T @ times
        w = np.exp(-theta * (c - c.min()))
        f = f + (demand * w / w.sum() - f) / (k + 2) ** 0.6
    return f


@pytest.mark.parametrize(("theta", "demand"), [(0.5, 30.0), (2.0, 40.0), (0.1, 10.0)])
def test_solver_matches_the_enumerated_logit_fixed_point(theta, demand):
    nodes, links = _grid()
    network = Network.from_frames(nodes, links)
    od = Demand.from_frame(pd.DataFrame({"origin": [1], "destination": [4], "volume": [demand]}))
    config = AssignmentConfig(
        target_gap=1e-10, max_iter=2_000, class_costs={"all": ClassCost(dispersion=theta)}
    )
    result = assign(network, od, config)
    assert result.converged
    assert result.relative_gap <= 1e-10
    flows = dict(zip(result.links["link_id"], result.links["flow"], strict=True))
    expected = reference_sue(links, demand, theta)
    # route flows from link flows: route 3 is the only user of link 5
    route3 = flows[5]
    modelled = np.array([flows[3], flows[2], route3])
    np.testing.assert_allclose(modelled, expected, rtol=2e-3, atol=1e-3)
    # and the logit condition holds exactly at the solved costs
    c = np.array(_route_times(flows, links))
    shares = np.exp(-theta * c) / np.exp(-theta * c).sum()
    np.testing.assert_allclose(modelled / demand, shares, rtol=1e-4)  # KL gap 1e-10


def test_no_dispersion_is_deterministic_and_large_dispersion_approaches_it():
    nodes, links = _grid()
    network = Network.from_frames(nodes, links)
    od = Demand.from_frame(pd.DataFrame({"origin": [1], "destination": [4], "volume": [30.0]}))
    ue = assign(network, od, algorithm="fw", target_gap=1e-9, max_iter=5_000)
    sue = assign(
        network,
        od,
        target_gap=1e-9,
        max_iter=5_000,
        class_costs={"all": ClassCost(dispersion=200.0)},
    )
    np.testing.assert_allclose(sue.links["flow"], ue.links["flow"], atol=0.05)
    assert sue.convergence["direction"].eq("logit").all()


def test_small_dispersion_spreads_flow_over_every_route():
    nodes, links = _grid()
    network = Network.from_frames(nodes, links)
    od = Demand.from_frame(pd.DataFrame({"origin": [1], "destination": [4], "volume": [1.0]}))
    sue = assign(network, od, target_gap=1e-9, class_costs={"all": ClassCost(dispersion=1e-3)})
    # almost no congestion at 1 unit: shares ≈ 1/3 each (the expensive routes included)
    flows = sue.links.set_index("link_id")["flow"]
    np.testing.assert_allclose([flows[3], flows[2], flows[5]], [1 / 3] * 3, atol=0.01)


def test_dispersion_must_be_positive():
    with pytest.raises(InputError):
        ClassCost(dispersion=0.0)
    with pytest.raises(InputError):
        ClassCost(dispersion=math.inf)


def test_logit_shares_reference():
    costs = np.array([1.0, 2.0, 4.0, 10.0, 10.0])
    starts = np.array([0, 3, 5])
    out = logit_shares(starts, costs, 0.7)
    for lo, hi in itertools.pairwise(starts):
        w = np.exp(-0.7 * costs[lo:hi])
        np.testing.assert_allclose(out[lo:hi], w / w.sum())
    # huge costs do not overflow
    assert np.isfinite(logit_shares(starts, costs * 1e6, 5.0)).all()


def test_shortest_paths_match_the_heapq_reference():
    rng = np.random.default_rng(7)
    n, m = 30, 120
    tails = rng.integers(0, n, m)
    heads = rng.integers(0, n, m)
    keep = tails != heads
    tails, heads = tails[keep], heads[keep]
    order = np.argsort(tails, kind="stable")
    tails, heads = tails[order].astype(np.int64), heads[order].astype(np.int64)
    costs = rng.uniform(0.5, 5.0, len(tails))
    edge_start = np.searchsorted(tails, np.arange(n + 1)).astype(np.int64)
    blocked = np.zeros(n, dtype=np.bool_)
    origins = np.array([0, 5, 9], dtype=np.int64)
    dests = np.array([3, 7, 11, 20, 1, 2], dtype=np.int64)
    od_start = np.array([0, 2, 4, 6], dtype=np.int64)
    start, edges, cost = shortest_paths(
        edge_start, tails, heads, costs, blocked, origins, od_start, dests, n_threads=2
    )
    for i, o in enumerate(origins):
        dist, _ = dijkstra_reference(n, tails, heads, costs, int(o), blocked)
        for k in range(od_start[i], od_start[i + 1]):
            assert cost[k] == pytest.approx(dist[dests[k]])
            path = edges[start[k] : start[k + 1]]
            if np.isfinite(dist[dests[k]]):
                assert tails[path[0]] == o and heads[path[-1]] == dests[k]
                assert np.all(heads[path[:-1]] == tails[path[1:]])
                assert costs[path].sum() == pytest.approx(dist[dests[k]])
            else:
                assert len(path) == 0
