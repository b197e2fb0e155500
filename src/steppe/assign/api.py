"""The public entry point: ``assign(network, demand, ...) -> AssignmentResult``."""

from __future__ import annotations

import platform
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numba
import numpy as np
import pandas as pd

from steppe import __version__
from steppe.assign.config import AssignmentConfig
from steppe.assign.constrained import solve_constrained
from steppe.assign.costmodel import link_time
from steppe.assign.kernels.costs import bpr_integral
from steppe.assign.linkbased import Progress, solve_link_based
from steppe.assign.problem import AssignmentProblem, build_problem
from steppe.assign.result import CONVERGENCE_COLUMNS, AssignmentResult, SolverOutcome
from steppe.assign.warm import remap_state
from steppe.errors import ConvergenceWarning
from steppe.model.demand import Demand
from steppe.model.network import Network


def assign(
    network: Network,
    demand: Demand,
    config: AssignmentConfig | None = None,
    *,
    progress: Progress | None = None,
    warm_start: AssignmentResult | None = None,
    **options: Any,
) -> AssignmentResult:
    """Solve the user-equilibrium assignment of ``demand`` on ``network``.

    Parameters
    ----------
    network
        The network (never modified).
    demand
        OD demand, one or more classes.
    config
        Algorithm and stopping rules; :class:`AssignmentConfig` defaults when ``None``.
    progress
        Called after every iteration with ``(iteration, relative_gap)``.
    warm_start
        An earlier result with the same demand classes (link attributes, volumes and the
        link set may differ: its state is moved to this network's links by link id, see
        :func:`steppe.assign.warm.remap_state`): the solver starts from its solution
        instead of from scratch.
    **options
        Fields of :class:`AssignmentConfig` to override, e.g. ``algorithm="fw"``,
        ``target_gap=1e-6``.

    Returns
    -------
    AssignmentResult
        Link flows, convergence table, unassigned OD pairs and provenance.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` or ``time_limit_s`` stops the run above the target gap.

    Examples
    --------
    >>> import pandas as pd
    >>> from steppe.model import Network, Demand
    >>> nodes = pd.DataFrame({"node_id": [1, 2], "zone_id": [1, 2]})
    >>> links = pd.DataFrame({"link_id": [1, 2], "from_node_id": [1, 1], "to_node_id": [2, 2],
    ...                       "capacity": [10.0, 10.0], "free_flow_time": [1.0, 2.0]})
    >>> net = Network.from_frames(nodes, links)
    >>> dem = Demand.from_frame(pd.DataFrame({"origin": [1], "destination": [2], "volume": [30.0]}))
    >>> res = assign(net, dem, algorithm="fw", target_gap=1e-8)
    >>> bool(res.links["flow"].sum() == 30.0)
    True
    """
    config = (config or AssignmentConfig()).with_options(**options)
    problem = build_problem(network, demand, config)
    state = None
    if warm_start is not None and warm_start.algorithm == config.algorithm:
        state = remap_state(
            warm_start.solver_state,
            warm_start.links["link_id"].to_numpy(),
            network.links["link_id"].to_numpy(),
            constrained=problem.links.has_hard_capacity,
        )
    solver = _solver(config)
    queue_delay = None
    if problem.links.has_hard_capacity:
        outcome, queue_delay = solve_constrained(
            problem, config, solver, progress=progress, warm_state=state
        )
    else:
        outcome = solver(problem, config, progress=progress, warm_state=state)
    convergence = pd.DataFrame(outcome.rows, columns=CONVERGENCE_COLUMNS)
    if not outcome.converged:
        last = outcome.rows[-1]
        warnings.warn(
            ConvergenceWarning(
                f"{config.algorithm} stopped after {last['iteration']} iterations at relative gap "
                f"{last['relative_gap']:.3e} (target {config.target_gap:.1e})",
                iterations=int(str(last["iteration"])),
                relative_gap=float(str(last["relative_gap"])),
            ),
            stacklevel=2,
        )
    return AssignmentResult(
        links=_link_table(network, problem, outcome.class_flows, config, queue_delay),
        convergence=convergence,
        unassigned=_unassigned(problem, outcome.reached),
        algorithm=config.algorithm,
        converged=outcome.converged,
        provenance=_provenance(network, demand, config),
        solver_state=outcome.state,
    )


def beckmann_objective(
    network: Network,
    flow: np.ndarray | pd.Series,
    *,
    toll_factor: float = 0.0,
    distance_factor: float = 0.0,
) -> float:
    """Beckmann objective of given link flows: Σ_a ∫_0^{x_a} t_a + (toll and distance terms).

    Parameters
    ----------
    network
        The network whose BPR parameters define ``t_a``.
    flow
        Flow per link, in network link order.
    toll_factor, distance_factor
        Generalized-cost weights (time units per money unit and per length unit).

    Returns
    -------
    float
        Objective in network time units × flow units; compare with
        :attr:`AssignmentResult.objective` or a published best-known value.
    """
    links = network.links
    x = np.asarray(flow, dtype=np.float64)
    if x.shape != (len(links),):
        raise ValueError(f"flow has shape {x.shape}; expected one value per link ({len(links)})")
    fixed = toll_factor * links["toll"].to_numpy() + distance_factor * links["length"].to_numpy()
    time_part = bpr_integral(
        x,
        links["free_flow_time"].to_numpy(np.float64),
        links["capacity"].to_numpy(np.float64),
        links["alpha"].to_numpy(np.float64),
        links["beta"].to_numpy(np.float64),
    )
    return float(time_part + np.dot(fixed, x))


def _solver(config: AssignmentConfig) -> Callable[..., SolverOutcome]:
    if config.stochastic:
        from steppe.assign.sue import solve_sue

        return solve_sue
    if config.algorithm == "b":
        from steppe.assign.bush import solve_bush_based

        return solve_bush_based
    return solve_link_based


def _link_table(
    network: Network,
    problem: AssignmentProblem,
    flows: list[np.ndarray],
    config: AssignmentConfig,
    queue_delay: np.ndarray | None,
) -> pd.DataFrame:
    total = np.sum(flows, axis=0)
    time_now = link_time(problem.links, total)
    links = network.links
    fixed = (
        config.toll_factor * links["toll"].to_numpy()
        + config.distance_factor * links["length"].to_numpy()
    )
    table = pd.DataFrame(
        {
            "link_id": links["link_id"].to_numpy(),
            "from_node_id": links["from_node_id"].to_numpy(),
            "to_node_id": links["to_node_id"].to_numpy(),
            "flow": total,
            "time": time_now,
            "cost": time_now + fixed,
        }
    )
    if queue_delay is not None:
        # multipliers of the hard capacities: the delay a unit of flow queues on a full link
        table["queue_delay"] = queue_delay
        table["cost"] = time_now + queue_delay + fixed
    if len(problem.classes) > 1:
        for c, f in zip(problem.classes, flows, strict=True):
            table[f"flow_{c.name}"] = f
    return table


def _unassigned(problem: AssignmentProblem, reached: list[np.ndarray]) -> pd.DataFrame:
    parts = []
    for c, ok in zip(problem.classes, reached, strict=True):
        missing = ~np.asarray(ok, dtype=bool)
        if missing.any():
            parts.append(
                pd.DataFrame(
                    {
                        "origin": c.od_origin[missing],
                        "destination": c.od_destination[missing],
                        "demand_class": c.name,
                        "volume": c.od_volume[missing],
                    }
                )
            )
    if not parts:
        return pd.DataFrame(
            {
                "origin": pd.Series(dtype="int64"),
                "destination": pd.Series(dtype="int64"),
                "demand_class": pd.Series(dtype="string"),
                "volume": pd.Series(dtype="float64"),
            }
        )
    return pd.concat(parts, ignore_index=True)


def _provenance(network: Network, demand: Demand, config: AssignmentConfig) -> dict[str, object]:
    return {
        "steppe_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "network": network.name,
        "nodes": network.n_nodes,
        "links": network.n_links,
        "zones": len(network.zones),
        "total_demand": demand.total(),
        "demand_classes": list(demand.classes),
        "config": config.as_dict(),
        "threads": config.threads or numba.get_num_threads(),
        "python": platform.python_version(),
        "started": time.time(),
    }
