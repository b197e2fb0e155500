"""Kernels against the slow references on random graphs (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import (
    aon_reference,
    beckmann_reference,
    bpr_reference,
    dijkstra_reference,
)
from scipy.optimize import minimize_scalar

from steppe.assign.kernels.costs import (
    bpr_derivative,
    bpr_integral,
    bpr_time,
    directional_derivative,
    exact_line_search,
)
from steppe.assign.kernels.paths import all_or_nothing, grow_tree, shortest_path_tree


@st.composite
def random_graphs(draw, max_nodes=14, max_edges=45):
    """Random directed multigraphs (parallel edges allowed) with continuous costs."""
    n = draw(st.integers(2, max_nodes))
    m = draw(st.integers(1, max_edges))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    tails = rng.integers(0, n, m)
    heads = rng.integers(0, n, m)
    keep = tails != heads
    tails, heads = tails[keep], heads[keep]
    if len(tails) == 0:
        tails, heads = np.array([0]), np.array([1])
    costs = rng.uniform(0.1, 10.0, len(tails))
    blocked = rng.random(n) < draw(st.sampled_from([0.0, 0.2]))
    return n, tails.astype(np.int64), heads.astype(np.int64), costs, blocked, rng


def to_csr(n, tails, heads, costs):
    order = np.argsort(tails, kind="stable")
    start = np.concatenate([[0], np.cumsum(np.bincount(tails, minlength=n))]).astype(np.int64)
    return order, start, heads[order], tails[order], costs[order]


def tree_scratch(n, m):
    """dist, pred, order (per node) and heap keys and nodes (per edge, plus one)."""
    return (np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(m + 1),
            np.empty(m + 1, np.int64))


@given(random_graphs())
@settings(max_examples=150, deadline=None)
def test_shortest_path_tree_matches_heapq(graph):
    n, tails, heads, costs, blocked, rng = graph
    _order, start, head_csr, tail_csr, cost_csr = to_csr(n, tails, heads, costs)
    origin = int(rng.integers(0, n))
    dist, pred, settled_order, heap_key, heap_node = tree_scratch(n, len(heads))
    settled = np.empty(n, np.bool_)
    mark = np.full(n, -1, np.int64)
    count = shortest_path_tree(
        origin,
        start,
        head_csr,
        cost_csr,
        blocked,
        mark,
        0,
        -1,
        dist,
        pred,
        settled_order,
        settled,
        heap_key,
        heap_node,
    )
    expected, _ = dijkstra_reference(n, tails, heads, costs, origin, blocked)
    np.testing.assert_allclose(dist, expected, rtol=1e-12)
    assert count == int(np.isfinite(expected).sum())
    # predecessor edges reproduce the labels
    for v in range(n):
        if v != origin and np.isfinite(dist[v]):
            e = pred[v]
            assert head_csr[e] == v
            assert dist[tail_csr[e]] + cost_csr[e] == pytest.approx(dist[v], rel=1e-12)


@given(random_graphs())
@settings(max_examples=150, deadline=None)
def test_grow_tree_with_early_exit_and_skipped_leaves_matches_heapq(graph):
    n, tails, heads, costs, blocked, rng = graph
    _order, start, head_csr, tail_csr, cost_csr = to_csr(n, tails, heads, costs)
    origin = int(rng.integers(0, n))
    targets = np.unique(rng.integers(0, n, int(rng.integers(1, n + 1))))
    mark = np.full(n, -1, np.int64)
    mark[targets] = 7
    dist, pred, order, heap_key, heap_node = tree_scratch(n, len(heads))
    count = grow_tree(origin, start, head_csr, cost_csr, blocked, mark, 7, len(targets), True,
                      dist, pred, order, heap_key, heap_node)
    expected, _ = dijkstra_reference(n, tails, heads, costs, origin, blocked)
    # every target gets its exact label, and its predecessor chain runs through settled
    # nodes back to the origin
    np.testing.assert_allclose(dist[targets], expected[targets], rtol=1e-12)
    settled = set(order[:count].tolist())
    skipped = {v for v in range(n) if blocked[v] and v != origin and mark[v] != 7}
    assert not settled & skipped
    for v in targets:
        node = int(v)
        while np.isfinite(expected[node]) and node != origin:
            assert node in settled
            node = int(tail_csr[pred[node]])


@given(random_graphs(), st.integers(1, 4))
@settings(max_examples=150, deadline=None)
def test_all_or_nothing_matches_path_by_path_loading(graph, threads):
    n, tails, heads, costs, blocked, rng = graph
    order, start, head_csr, tail_csr, cost_csr = to_csr(n, tails, heads, costs)
    n_od = int(rng.integers(1, 12))
    origins = rng.integers(0, n, n_od)
    dests = rng.integers(0, n, n_od)
    vols = rng.uniform(0.5, 5.0, n_od)
    pairs = sorted(set(zip(origins.tolist(), dests.tolist(), strict=True)))
    od = [(o, d, float(v)) for (o, d), v in zip(pairs, vols, strict=False)]
    origin_nodes = np.array(sorted({o for o, _, _ in od}), np.int64)
    od_start = np.searchsorted([o for o, _, _ in od], origin_nodes).astype(np.int64)
    od_start = np.append(od_start, len(od)).astype(np.int64)
    od_dest = np.array([d for _, d, _ in od], np.int64)
    od_volume = np.array([v for _, _, v in od])
    flow_csr, origin_cost, reached = all_or_nothing(
        start,
        head_csr,
        tail_csr,
        cost_csr,
        blocked,
        origin_nodes,
        od_start,
        od_dest,
        od_volume,
        n_threads=threads,
    )
    expected_flow, expected_sptt, expected_reached = aon_reference(
        n, tails, heads, costs, blocked, od
    )
    flow = np.empty_like(flow_csr)
    flow[order] = flow_csr
    np.testing.assert_allclose(flow, expected_flow, rtol=1e-10, atol=1e-12)
    assert origin_cost.sum() == pytest.approx(expected_sptt, rel=1e-10, abs=1e-12)
    np.testing.assert_array_equal(reached, expected_reached)


def test_all_or_nothing_rejects_negative_or_nan_costs():
    start = np.array([0, 1, 1], np.int64)
    head = np.array([1], np.int64)
    tail = np.array([0], np.int64)
    blocked = np.zeros(2, np.bool_)
    args = (
        np.array([0], np.int64),
        np.array([0, 1], np.int64),
        np.array([1], np.int64),
        np.array([1.0]),
    )
    for bad in (np.array([-1.0]), np.array([np.nan])):
        with pytest.raises(ValueError, match="non-negative"):
            all_or_nothing(start, head, tail, bad, blocked, *args)


bpr_arrays = st.integers(1, 30).flatmap(
    lambda m: st.tuples(
        st.lists(st.floats(0, 1e4), min_size=m, max_size=m),
        st.lists(st.floats(0, 100), min_size=m, max_size=m),
        st.lists(st.floats(1, 1e4), min_size=m, max_size=m),
        st.lists(st.floats(0, 2), min_size=m, max_size=m),
        st.lists(st.sampled_from([0.0, 1.0, 2.5, 4.0, 5.0]), min_size=m, max_size=m),
    )
)


@given(bpr_arrays)
@settings(max_examples=200, deadline=None)
def test_bpr_kernels_match_formulas(arrays):
    flow, t0, cap, alpha, beta = (np.array(a, dtype=np.float64) for a in arrays)
    np.testing.assert_allclose(
        bpr_time(flow, t0, cap, alpha, beta), bpr_reference(flow, t0, cap, alpha, beta), rtol=1e-12
    )
    assert bpr_integral(flow, t0, cap, alpha, beta) == pytest.approx(
        beckmann_reference(flow, t0, cap, alpha, beta), rel=1e-12, abs=1e-9
    )
    smooth = flow > 1e-6  # away from the kink at zero flow
    h = np.where(smooth, 1e-4 * flow, 1.0)  # central difference, step relative to the flow
    upper = bpr_reference(flow + h, t0, cap, alpha, beta)
    numeric = (upper - bpr_reference(flow - h, t0, cap, alpha, beta)) / (2 * h)
    analytic = bpr_derivative(flow, t0, cap, alpha, beta)
    roundoff = 8 * np.finfo(float).eps * np.abs(upper) / h  # cancellation in the difference
    allowed = 1e-6 * np.abs(numeric) + roundoff + 1e-300
    assert np.all(np.abs(analytic - numeric)[smooth] <= allowed[smooth])


@given(st.integers(0, 2**31 - 1))
@settings(max_examples=60, deadline=None)
def test_exact_line_search_minimizes_beckmann(seed):
    rng = np.random.default_rng(seed)
    m = 20
    t0 = rng.uniform(0.5, 5, m)
    cap = rng.uniform(50, 200, m)
    alpha = np.full(m, 0.15)
    beta = np.full(m, 4.0)
    x = rng.uniform(0, 300, m)
    target = rng.uniform(0, 300, m)
    fixed = rng.uniform(0, 1, m)
    d = target - x

    def objective(step):
        y = x + step * d
        return beckmann_reference(y, t0, cap, alpha, beta) + float(fixed @ y)

    def slope(step):
        return directional_derivative(step, x, d, t0, cap, alpha, beta) + float(fixed @ d)

    step = exact_line_search(slope)
    best = minimize_scalar(objective, bounds=(0, 1), method="bounded", options={"xatol": 1e-12}).x
    candidates = [best, 0.0, 1.0]
    assert objective(step) <= min(objective(c) for c in candidates) + 1e-9 * abs(objective(step))
    assert 0.0 <= step <= 1.0
