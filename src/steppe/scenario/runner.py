"""Run a corridor model: build the network, assign every commodity class, keep the result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from steppe.assign import AssignmentConfig, AssignmentResult, ClassCost, assign
from steppe.assign.linkbased import Progress
from steppe.data import eurasia_folder
from steppe.io.corridor import read_corridor_folder
from steppe.model.corridor import CorridorBuild, CorridorModel, build_assignment


@dataclass(frozen=True)
class CorridorRun:
    """A solved corridor model: the built network and the assignment result."""

    build: CorridorBuild
    result: AssignmentResult


def load_eurasia() -> CorridorModel:
    """The built-in Russia–Mongolia–China corridor model (base year 2023)."""
    return read_corridor_folder(eurasia_folder(), name="eurasia")


def class_costs(build: CorridorBuild) -> dict[str, ClassCost]:
    """Generalized cost per class in hours: time + money / value of time.

    Dividing money by the class's value of time puts every class on the shared time axis,
    so congestion and queueing delays (hours) are common to all while each class weighs
    money its own way; route choice is the same as minimizing money + VOT × hours. A
    commodity's ``dispersion_per_hour`` (logit θ, 1/hour) makes its classes stochastic.
    """
    return {
        row.demand_class: ClassCost(
            fixed_cost_column=row.money_column,
            fixed_cost_factor=1.0 / row.vot_usd_per_unit_hour,
            dispersion=_dispersion(getattr(row, "dispersion_per_hour", None)),
        )
        for row in build.classes.itertuples()
    }


def _dispersion(value: object) -> float | None:
    number = float(value) if isinstance(value, int | float) else float("nan")
    return number if number > 0 and number != float("inf") else None


def run_corridor(
    model: CorridorModel,
    *,
    algorithm: str = "bfw",
    target_gap: float = 1e-6,
    max_iter: int = 20_000,
    progress: Progress | None = None,
    **options: Any,
) -> CorridorRun:
    """Build and solve a corridor model.

    Parameters
    ----------
    model
        Source tables and parameters.
    algorithm, target_gap, max_iter
        Assignment settings (see :class:`steppe.assign.AssignmentConfig`).
    progress
        Called with (iteration, relative gap).
    **options
        Further :class:`~steppe.assign.AssignmentConfig` fields.

    Returns
    -------
    CorridorRun
    """
    build = build_assignment(model)
    config = AssignmentConfig(
        algorithm=algorithm,
        target_gap=target_gap,
        max_iter=max_iter,
        class_costs=class_costs(build),
        **options,
    )
    return CorridorRun(
        build=build, result=assign(build.network, build.demand, config, progress=progress)
    )
