"""BFW against the published best-known TNTP solutions (issue: foundation, must-hold)."""

from __future__ import annotations

import numpy as np
import pytest

from steppe.assign import assign, beckmann_objective
from tntp_cases import tntp_case

CASES = ["SiouxFalls", "Anaheim", "Chicago-Sketch"]
# Relative gap at which BFW's link flows first match the best-known ones to 1% on every link
# above 1% of the maximum flow. At 1e-6 the objective already agrees to 1e-6, but on
# Anaheim and Chicago-Sketch links with nearly flat BPR costs are not pinned by the gap:
# measured at 1e-6, steppe 3.8% / 1.9% and AequilibraE 1.7.2 5.2% / 0.8% off. The
# reference is sound (best-known flows have gaps of 6e-15 / 2e-14; B at 1e-12 matches them
# within 0.1% on every busy link) and the spread is not BFW's: B stopped at 1.2e-7 is still
# 14% off on Anaheim link 712 (v/c 0.035, d time/d flow ≈ 1e-8), 24 links above 1%.
FLOW_GAP = {"SiouxFalls": 1e-6, "Anaheim": 1e-8, "Chicago-Sketch": 2e-7}


@pytest.mark.parametrize("name", CASES)
def test_bfw_to_1e6_matches_best_known_objective(name):
    case = tntp_case(name)
    if case.best_flows is None:
        pytest.skip(f"{name} has no best-known flow file")
    toll = case.readme_weights.toll or 0.0
    distance = case.readme_weights.distance or 0.0
    result = assign(
        case.network,
        case.demand,
        algorithm="bfw",
        target_gap=1e-6,
        max_iter=5000,
        toll_factor=toll,
        distance_factor=distance,
    )
    assert result.converged and result.relative_gap <= 1e-6
    best_flow = case.best_flows["flow"].to_numpy()
    best = beckmann_objective(case.network, best_flow, toll_factor=toll, distance_factor=distance)
    assert abs(result.objective - best) <= 1e-6 * abs(best), (result.objective, best)
    if name == "Chicago-Sketch":  # its README states the optimum in the same units
        assert abs(result.objective - case.best_known_objective) <= 1e-6 * best
    assert result.unassigned.empty
    if FLOW_GAP[name] < 1e-6:
        result = assign(
            case.network,
            case.demand,
            algorithm="bfw",
            target_gap=FLOW_GAP[name],
            max_iter=20000,
            toll_factor=toll,
            distance_factor=distance,
        )
    flow = result.links["flow"].to_numpy()
    busy = best_flow > 0.01 * best_flow.max()
    relative = np.abs(flow[busy] - best_flow[busy]) / best_flow[busy]
    assert relative.max() <= 0.01, f"worst link off by {relative.max():.2%}"


def test_every_link_based_algorithm_approaches_the_optimum_from_above():
    case = tntp_case("SiouxFalls")
    best = beckmann_objective(case.network, case.best_flows["flow"].to_numpy())
    for algorithm in ("msa", "fw", "cfw", "bfw"):
        result = assign(
            case.network, case.demand, algorithm=algorithm, target_gap=1e-3, max_iter=3000
        )
        assert result.relative_gap <= 1e-3, algorithm
        # any feasible flow has an objective at or above the minimum, and near it at this gap
        assert best * (1 - 1e-9) <= result.objective <= best * (1 + 2e-3), algorithm
