"""The value an assignment returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

CONVERGENCE_COLUMNS = [
    "iteration",
    "relative_gap",
    "average_excess_cost",
    "objective",
    "step",
    "direction",
    "seconds",
]


@dataclass
class SolverOutcome:
    """What a solver hands back to :func:`steppe.assign.assign`.

    Attributes
    ----------
    class_flows
        Flow per network link row, one array per demand class (problem order).
    rows
        Convergence rows (keys of :data:`CONVERGENCE_COLUMNS`).
    reached
        Per class, per OD entry of the class's CSR table: whether a path exists.
    converged
        Whether the target gap was reached.
    state
        Solver state a later run can warm-start from (e.g. bushes), or ``None``.
    """

    class_flows: list[npt.NDArray[np.float64]]
    rows: list[dict[str, object]]
    reached: list[npt.NDArray[np.bool_]]
    converged: bool
    state: object | None = None


@dataclass(frozen=True)
class AssignmentResult:
    """Equilibrium link flows and how they were reached.

    Attributes
    ----------
    links
        One row per network link: ``link_id``, ``from_node_id``, ``to_node_id``, ``flow``
        (all classes), ``time`` (congested travel time), ``cost`` (time plus the default
        generalized-cost terms), and ``flow_<class>`` per demand class when there are several.
    convergence
        One row per iteration: ``iteration``, ``relative_gap`` (TSTT/SPTT − 1),
        ``average_excess_cost`` ((TSTT − SPTT)/demand, time units per unit of demand),
        ``objective`` (Beckmann), ``step``, ``direction`` and cumulative ``seconds``.
    unassigned
        OD pairs with demand and no path: ``origin``, ``destination``, ``demand_class``,
        ``volume``. Their demand is not loaded and not in the gap.
    algorithm
        Algorithm used.
    converged
        Whether the target gap was reached.
    provenance
        Version, configuration and input summary.
    solver_state
        Opaque state for warm starts: pass this result as ``warm_start`` to
        :func:`steppe.assign.assign` after changing link attributes or demand.
    """

    links: pd.DataFrame
    convergence: pd.DataFrame
    unassigned: pd.DataFrame
    algorithm: str
    converged: bool
    provenance: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    solver_state: object | None = field(default=None, repr=False, compare=False)

    @property
    def iterations(self) -> int:
        """Iterations done."""
        return int(self.convergence["iteration"].iloc[-1]) if len(self.convergence) else 0

    @property
    def relative_gap(self) -> float:
        """Final relative gap."""
        return float(self.convergence["relative_gap"].iloc[-1])

    @property
    def average_excess_cost(self) -> float:
        """Final average excess cost."""
        return float(self.convergence["average_excess_cost"].iloc[-1])

    @property
    def objective(self) -> float:
        """Final Beckmann objective."""
        return float(self.convergence["objective"].iloc[-1])

    @property
    def seconds(self) -> float:
        """Wall time of the iterations, seconds."""
        return float(self.convergence["seconds"].iloc[-1])

    @property
    def unassigned_demand(self) -> float:
        """Total demand with no path."""
        return float(self.unassigned["volume"].sum())

    def summary(self) -> dict[str, object]:
        """Headline figures as plain data."""
        return {
            "algorithm": self.algorithm,
            "iterations": self.iterations,
            "relative_gap": self.relative_gap,
            "average_excess_cost": self.average_excess_cost,
            "objective": self.objective,
            "seconds": self.seconds,
            "converged": self.converged,
            "unassigned_od_pairs": len(self.unassigned),
            "unassigned_demand": self.unassigned_demand,
        }
