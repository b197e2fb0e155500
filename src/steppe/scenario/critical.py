"""Criticality (close each loaded crossing and link in turn) and select-link analysis.

Closing an element removes its links from the built network (the other links keep their
ids and attributes); demand reroutes, or takes the "unserved" link when no route is left.
Each closure is re-equilibrated and compared with the open network: the extra generalized
cost (money + value of time × hours, USD/yr) and the extra unserved demand rank the elements.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from steppe.analysis import link_class_flows
from steppe.assign import AssignmentConfig, AssignmentResult, assign
from steppe.errors import ConvergenceWarning
from steppe.model.corridor import CorridorBuild
from steppe.scenario.execute import (
    ScenarioRun,
    assignment_config,
    build_scenario,
    class_cost_table,
)
from steppe.scenario.routes import distances, link_costs
from steppe.scenario.spec import Scenario

LOADED = 1e-6
"""Flow (assignment units/yr) above which an element counts as carrying flow."""


@dataclass(frozen=True)
class _Context:
    build: CorridorBuild
    config: AssignmentConfig
    base_cost_usd: float
    base_unserved: float
    warm: AssignmentResult | None


def loaded_elements(run: ScenarioRun) -> pd.DataFrame:
    """Crossings and physical links carrying flow.

    Returns ``element``, ``element_id``, ``name`` and ``flow`` (sum over the element's
    directed links, assignment units/yr).
    """
    links = run.build.network.links[["link_id", "element", "element_id", "name"]]
    flows = links.merge(run.result.links[["link_id", "flow"]], on="link_id")
    flows = flows[flows["element"].isin(["crossing", "link"])]
    table = flows.groupby(["element", "element_id"], as_index=False).agg(
        name=("name", "first"), flow=("flow", "sum")
    )
    return table[table["flow"] > LOADED].reset_index(drop=True)


def _unserved_volume(result: AssignmentResult, build: CorridorBuild) -> float:
    unserved = build.network.links["element"].to_numpy() == "unserved"
    flows = result.links.set_index("link_id").loc[build.network.links["link_id"], "flow"]
    return float(flows.to_numpy()[unserved].sum())


def _closed(build: CorridorBuild, element: str, element_id: int) -> CorridorBuild:
    links = build.network.links
    keep = ~((links["element"] == element) & (links["element_id"] == element_id))
    return replace(build, network=build.network.with_links(links[keep]))


def _close_one(context: _Context, element: str, element_id: int) -> dict[str, Any]:
    start = time.perf_counter()
    build = _closed(context.build, element, element_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = assign(build.network, build.demand, context.config, warm_start=context.warm)
    cost = float(class_cost_table(result, build)["generalized_usd"].sum())
    return {
        "element": element,
        "element_id": element_id,
        "extra_cost_usd": cost - context.base_cost_usd,
        "extra_unserved": _unserved_volume(result, build) - context.base_unserved,
        "relative_gap": result.relative_gap,
        "converged": result.converged,
        "iterations": result.iterations,
        "seconds": time.perf_counter() - start,
    }


_CONTEXT: dict[str, _Context] = {}  # one per worker process, set by its initializer


def _init_worker(scenario: Scenario, options: dict[str, Any], base_cost: float,
                 base_unserved: float, warm: AssignmentResult | None) -> None:
    # builds hold read-only mappings that do not pickle: each worker rebuilds the scenario
    # (the warm start is the base solution's state, shipped, not solved again)
    build, _ = build_scenario(scenario)
    config = assignment_config(build, scenario, **options)
    _CONTEXT["current"] = _Context(build, config, base_cost, base_unserved, warm)


def _portable(result: AssignmentResult) -> AssignmentResult:
    """What a warm start needs of a result (link ids, algorithm, solver state), picklable."""
    return AssignmentResult(
        links=result.links[["link_id"]].copy(), convergence=result.convergence.iloc[:0].copy(),
        unassigned=result.unassigned.iloc[:0].copy(), algorithm=result.algorithm,
        converged=result.converged, provenance={}, solver_state=result.solver_state,
    )


def _close_in_worker(element: str, element_id: int) -> dict[str, Any]:
    return _close_one(_CONTEXT["current"], element, element_id)


def criticality(
    run: ScenarioRun,
    *,
    elements: pd.DataFrame | None = None,
    target_gap: float | None = None,
    workers: int | None = None,
    warm_start: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Close each loaded crossing and link in turn, re-equilibrate and rank the closures.

    Parameters
    ----------
    run
        The solved scenario to test.
    elements
        ``element`` and ``element_id`` to close; every loaded crossing and link by default.
    target_gap
        Relative gap of each re-equilibration (the run's own by default).
    workers
        Processes (1 = in this process); ``os.cpu_count()`` by default.
    warm_start
        Start each closure from the open network's solution (its state is moved to the
        closed network's links: capacity multipliers, SUE path sets, bushes); link-based
        solvers start afresh.
    progress
        Called with (done, total) after each closure.

    Returns
    -------
    pandas.DataFrame
        One row per element, most critical first: ``rank``, ``element``, ``element_id``,
        ``name``, ``flow`` (assignment units/yr on the open network), ``extra_cost_usd``
        (generalized cost, USD/yr), ``extra_unserved`` (assignment units/yr: tonnes, or bcm
        for gas), ``relative_gap``, ``converged``, ``iterations``, ``seconds``.
    """
    todo = loaded_elements(run) if elements is None else elements
    assert run.scenario is not None
    options: dict[str, Any] = {"threads": 1}
    if target_gap is not None:
        options["target_gap"] = target_gap
    base_config = assignment_config(run.build, run.scenario, **options)
    context = _Context(
        build=run.build,
        config=base_config,
        base_cost_usd=float(class_cost_table(run.result, run.build)["generalized_usd"].sum()),
        base_unserved=_unserved_volume(run.result, run.build),
        warm=run.result if warm_start else None,
    )
    pairs = [(str(r.element), int(r.element_id)) for r in todo.itertuples()]
    count = min(workers or os.cpu_count() or 1, len(pairs))
    if count <= 1:
        rows = list(_serial(context, pairs, progress))
    else:
        warm = _portable(run.result) if warm_start else None
        start = (run.scenario, options, context.base_cost_usd, context.base_unserved, warm)
        rows = list(_parallel(start, pairs, count, progress))
    names = loaded_elements(run)
    table = pd.DataFrame(rows).merge(names, on=["element", "element_id"], how="left")
    table = table.sort_values(["extra_unserved", "extra_cost_usd"], ascending=False,
                              ignore_index=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    columns = ["rank", "element", "element_id", "name", "flow", "extra_cost_usd",
               "extra_unserved", "relative_gap", "converged", "iterations", "seconds"]
    return table[columns]


def _serial(
    context: _Context, pairs: list[tuple[str, int]], progress: Callable[[int, int], None] | None
) -> Iterable[dict[str, Any]]:
    for done, (element, element_id) in enumerate(pairs, start=1):
        yield _close_one(context, element, element_id)
        if progress:
            progress(done, len(pairs))


def _parallel(
    start: tuple[Any, ...], pairs: list[tuple[str, int]], workers: int,
    progress: Callable[[int, int], None] | None,
) -> Iterable[dict[str, Any]]:
    # numba's OpenMP threads make fork() unsafe: workers come from a clean fork server
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=_init_worker, initargs=start)
    with pool:
        futures = [pool.submit(_close_in_worker, e, i) for e, i in pairs]
        for done, future in enumerate(as_completed(futures), start=1):
            yield future.result()
            if progress:
                progress(done, len(pairs))


def _on_least_cost_route(
    build: CorridorBuild, costs: Any, origin: int, destination: int, link_id: int
) -> bool:
    """Whether a route through the link costs no more than the OD's least cost.

    At equilibrium every used route does, so ties between used routes all count.
    """
    links = build.network.links
    usable = np.ones(len(links), dtype=bool)
    row = int(np.flatnonzero((links["link_id"] == link_id).to_numpy())[0])
    from_origin, _ = distances(build, costs, origin * 10, usable)
    best = from_origin.get(destination * 10, np.inf)
    tail, head = int(links["from_node_id"].iloc[row]), int(links["to_node_id"].iloc[row])
    from_head, _ = distances(build, costs, head, usable)
    through = from_origin.get(tail, np.inf) + float(costs.generalized_h[row]) + from_head.get(
        destination * 10, np.inf)
    return bool(np.isfinite(best) and through <= best * (1 + 1e-6) + 1e-9)


def select_link(run: ScenarioRun, element: str, element_id: int) -> pd.DataFrame:
    """Which demand classes and OD pairs use a link or crossing.

    Class flows are exact (the assignment's per-class link flows). OD pairs inside a class
    are attributed by their least-cost path at equilibrium costs (``on_least_cost_path``),
    since link-based solutions keep no path flows.

    Parameters
    ----------
    run
        A solved scenario.
    element, element_id
        ``"crossing"`` or ``"link"`` and its id in the source tables.

    Returns
    -------
    pandas.DataFrame
        ``demand_class``, ``commodity``, ``origin_country``, ``destination_country``,
        ``direction`` (from node > to node), ``flow`` (assignment units/yr), ``volume``
        (commodity units/yr), ``share_of_class``, and per OD pair ``origin``,
        ``destination``, ``od_volume`` and ``on_least_cost_path``.
    """
    links = run.build.network.links
    chosen = links[(links["element"] == element) & (links["element_id"] == element_id)]
    if chosen.empty:
        from steppe.errors import InputError

        raise InputError(f"{element} {element_id} is not in the built network")
    flows = link_class_flows(run.result, run.build)
    flows = flows[flows["link_id"].isin(chosen["link_id"])].merge(
        chosen[["link_id", "from_node_id", "to_node_id"]], on="link_id"
    )
    flows["direction"] = (flows["from_node_id"] // 10).astype(str) + ">" + (
        flows["to_node_id"] // 10).astype(str)
    classes = run.build.classes.set_index("demand_class")
    rows = []
    demand = run.build.demand.table
    for row in flows.itertuples():
        info = classes.loc[row.demand_class]
        total = run.build.demand.total(str(row.demand_class))
        base = {
            "demand_class": row.demand_class, "commodity": info["commodity"],
            "origin_country": info["origin_country"],
            "destination_country": info["destination_country"], "direction": row.direction,
            "flow": row.flow, "volume": row.flow * info["units_per_assignment_unit"],
            "share_of_class": row.flow / total if total > 0 else np.nan,
        }
        costs = link_costs(run, str(row.demand_class))
        for od in demand[demand["demand_class"] == row.demand_class].itertuples():
            rows.append(base | {"origin": od.origin, "destination": od.destination,
                                "od_volume": od.volume,
                                "on_least_cost_path": _on_least_cost_route(
                                    run.build, costs, int(od.origin), int(od.destination),
                                    int(row.link_id))})
    return pd.DataFrame(rows)
