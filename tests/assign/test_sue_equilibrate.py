"""Gauss–Seidel SUE kernels against slow references, and warm starts after a closure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from steppe.assign import AssignmentConfig, ClassCost, assign
from steppe.assign.kernels.sue_equilibrate import equilibrate, link_cost, restricted_gap
from steppe.model import Demand, Network


def _random_instance(seed: int):
    """Random links (BPR + one hard-capacity term), 4 ODs with 2–4 random paths each."""
    rng = np.random.default_rng(seed)
    n_links = 12
    lp = np.zeros((7, n_links))
    lp[0] = rng.uniform(1, 5, n_links)  # t0
    lp[1] = rng.uniform(5, 20, n_links)  # capacity
    lp[2] = 0.15
    lp[3] = 4.0
    lp[4] = np.inf
    lp[4, 0], lp[5, 0], lp[6, 0] = 15.0, 0.5, 0.2  # a hard capacity with its multiplier
    paths, od_path_start, fixed = [], [0], []
    for _ in range(4):
        for _ in range(int(rng.integers(2, 5))):
            paths.append(np.sort(rng.choice(n_links, size=int(rng.integers(1, 4)), replace=False)))
            fixed.append(float(rng.uniform(0, 3)))
        od_path_start.append(len(paths))
    path_start = np.cumsum([0] + [len(p) for p in paths]).astype(np.int64)
    return (lp, np.array(od_path_start, np.int64), path_start,
            np.concatenate(paths).astype(np.int64), np.array(fixed), paths)


def _slow_cost(lp, a, x):
    value = lp[0, a] * (1 + lp[2, a] * (x / lp[1, a]) ** lp[3, a])
    if math.isfinite(lp[4, a]):
        value += max(0.0, lp[5, a] + lp[6, a] * (x - lp[4, a]))
    return value


@pytest.mark.parametrize("seed", range(5))
def test_equilibrium_meets_the_logit_and_wardrop_conditions(seed):
    lp, ods, starts, links, fixed, paths = _random_instance(seed)
    volume = np.array([10.0, 6.0, 8.0, 3.0])
    theta = np.array([0.8, 2.0, -1.0, 0.3])  # OD 2 deterministic
    flow = np.zeros(len(paths))
    flow[ods[:-1]] = volume  # all on each OD's first path
    x = np.zeros(lp.shape[1])
    for p, f in zip(paths, flow, strict=True):
        x[p] += f
    sweeps, gap = equilibrate(lp, x, ods, starts, links, fixed, flow, volume, theta, 20_000,
                              1e-12)
    assert gap <= 1e-12 and 1 <= sweeps < 20_000
    # slow reference: link flows from path flows, costs by the BPR formula, conditions per OD
    ref_x = np.zeros(lp.shape[1])
    for p, f in zip(paths, flow, strict=True):
        ref_x[p] += f
    np.testing.assert_allclose(x, ref_x, rtol=1e-9, atol=1e-9)
    cost = np.array([fixed[k] + sum(_slow_cost(lp, a, ref_x[a]) for a in p)
                     for k, p in enumerate(paths)])
    for od in range(4):
        f, c = flow[ods[od]:ods[od + 1]], cost[ods[od]:ods[od + 1]]
        assert f.sum() == pytest.approx(volume[od], rel=1e-12)
        if theta[od] > 0:
            w = np.exp(-theta[od] * (c - c.min()))
            np.testing.assert_allclose(f / volume[od], w / w.sum(), rtol=1e-4, atol=1e-7)
        else:
            used = f > 1e-9 * volume[od]
            assert np.all(c[used] <= c.min() * (1 + 1e-6) + 1e-9)


def test_link_cost_and_gap_match_plain_python():
    lp, ods, starts, links, fixed, paths = _random_instance(11)
    x = np.linspace(0, 25, lp.shape[1])
    for a in range(lp.shape[1]):
        assert link_cost(lp, a, x[a]) == pytest.approx(_slow_cost(lp, a, x[a]), rel=1e-12)
    volume = np.array([4.0, 5.0, 6.0, 7.0])
    theta = np.array([0.5, 0.5, -1.0, 1.5])
    flow = np.concatenate([np.full(ods[i + 1] - ods[i], volume[i] / (ods[i + 1] - ods[i]))
                           for i in range(4)])
    gap, total = restricted_gap(lp, x, ods, starts, links, fixed, flow, volume, theta)
    cost = np.array([fixed[k] + sum(_slow_cost(lp, a, x[a]) for a in p)
                     for k, p in enumerate(paths)])
    ref_gap = 0.0
    for od in range(4):
        f, c, d = flow[ods[od]:ods[od + 1]], cost[ods[od]:ods[od + 1]], volume[od]
        if theta[od] > 0:  # d/θ · KL(f/d ‖ logit)
            q = np.exp(-theta[od] * c) / np.exp(-theta[od] * c).sum()
            ref_gap += d / theta[od] * float(np.sum(f / d * np.log((f / d) / q)))
        else:
            ref_gap += float(f @ c) - d * c.min()
    assert gap == pytest.approx(ref_gap, rel=1e-9)
    assert total == pytest.approx(float(flow @ cost), rel=1e-12)


def _ladder():
    """1 → 4 over three routes; link 5 is a shortcut 2 → 3; link 1 has a hard capacity."""
    nodes = pd.DataFrame({"node_id": [1, 2, 3, 4], "zone_id": [1, None, None, 4]})
    links = pd.DataFrame({
        "link_id": [1, 2, 3, 4, 5], "from_node_id": [1, 1, 2, 3, 2],
        "to_node_id": [2, 3, 4, 4, 3], "capacity": [20.0, 15.0, 15.0, 20.0, 10.0],
        "free_flow_time": [2.0, 4.0, 5.0, 2.0, 1.0],
        "hard_capacity": [18.0, np.nan, np.nan, np.nan, np.nan],
    })
    return nodes, links


def test_warm_start_after_a_closure_matches_a_cold_solve():
    nodes, links = _ladder()
    od = Demand.from_frame(pd.DataFrame({"origin": [1], "destination": [4], "volume": [40.0]}))
    config = AssignmentConfig(target_gap=1e-10, class_costs={"all": ClassCost(dispersion=0.5)})
    base = assign(Network.from_frames(nodes, links), od, config)
    assert base.links.set_index("link_id").loc[1, "flow"] == pytest.approx(18.0, rel=1e-8)
    closed = Network.from_frames(nodes, links[links["link_id"] != 5])
    cold = assign(closed, od, config)
    warm = assign(closed, od, config, warm_start=base)
    assert warm.converged and cold.converged
    np.testing.assert_allclose(warm.links["flow"], cold.links["flow"], rtol=1e-6)
    np.testing.assert_allclose(warm.links["queue_delay"], cold.links["queue_delay"], rtol=1e-5)
