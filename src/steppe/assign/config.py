"""Assignment configuration: one explicit, immutable object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from steppe.errors import InputError

ALGORITHMS: tuple[str, ...] = ("msa", "fw", "cfw", "bfw", "b")
"""Assignment algorithms: method of successive averages, Frank–Wolfe, conjugate and
bi-conjugate Frank–Wolfe (link-based) and Algorithm B (bush-based)."""


@dataclass(frozen=True)
class ClassCost:
    """Generalized-cost weights of one demand class.

    Attributes
    ----------
    toll_factor
        Time units per money unit of toll (e.g. minutes per cent).
    distance_factor
        Time units per length unit (e.g. minutes per mile).
    fixed_cost_column
        Name of a link column with a further flow-independent cost of this class (e.g. a
        freight tariff in USD per tonne), or ``None``.
    fixed_cost_factor
        Time units per unit of that column (e.g. hours per USD: 1 / value of time).
    dispersion
        Logit dispersion θ (1 / time unit) of a stochastic user equilibrium for this class:
        path shares within an OD pair are ``exp(−θ c) / Σ exp(−θ c)`` over the generated
        path set. ``None`` (the default) is deterministic user equilibrium. When any class
        has a dispersion, :func:`steppe.assign.assign` uses the path-based solver of
        :mod:`steppe.assign.sue` for all classes.
    """

    toll_factor: float = 0.0
    distance_factor: float = 0.0
    fixed_cost_column: str | None = None
    fixed_cost_factor: float = 1.0
    dispersion: float | None = None

    def __post_init__(self) -> None:
        if self.dispersion is not None and not (0.0 < self.dispersion < float("inf")):
            raise InputError(
                f"dispersion {self.dispersion!r} must be a finite number > 0 (1 / time unit), "
                "or None for deterministic equilibrium"
            )


@dataclass(frozen=True)
class AssignmentConfig:
    """How to run an equilibrium assignment.

    Attributes
    ----------
    algorithm
        One of :data:`ALGORITHMS`.
    target_gap
        Stop when the relative gap (TSTT/SPTT − 1) is at or below this.
    max_iter
        Stop after this many iterations.
    toll_factor, distance_factor
        Generalized-cost weights (time units per money unit and per length unit) of every
        class not listed in ``class_costs``.
    class_costs
        Per-class weights, by demand class name.
    threads
        Worker threads for path building; all of numba's threads when ``None``.
    contract_graph
        Route on the contracted graph (dead ends removed, chains merged).
    time_limit_s
        Stop after this many seconds of iterations, if given.
    """

    algorithm: str = "bfw"
    target_gap: float = 1e-4
    max_iter: int = 1000
    toll_factor: float = 0.0
    distance_factor: float = 0.0
    class_costs: Mapping[str, ClassCost] = field(default_factory=lambda: MappingProxyType({}))
    threads: int | None = None
    contract_graph: bool = True
    time_limit_s: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.algorithm not in ALGORITHMS:
            problems.append(f"algorithm {self.algorithm!r} is not one of {', '.join(ALGORITHMS)}")
        if not (self.target_gap >= 0):
            problems.append(f"target_gap {self.target_gap!r} must be a number >= 0")
        if self.max_iter < 1:
            problems.append(f"max_iter {self.max_iter!r} must be at least 1")
        for name in ("toll_factor", "distance_factor"):
            value = getattr(self, name)
            if not (value >= 0) or value == float("inf"):
                problems.append(f"{name} {value!r} must be a finite number >= 0")
        if self.threads is not None and self.threads < 1:
            problems.append(f"threads {self.threads!r} must be at least 1")
        if problems:
            raise InputError("invalid assignment configuration: " + "; ".join(problems))

    @property
    def stochastic(self) -> bool:
        """Whether any class has a logit dispersion (stochastic user equilibrium)."""
        return any(c.dispersion is not None for c in self.class_costs.values())

    def cost_of(self, demand_class: str) -> ClassCost:
        """Generalized-cost weights of a demand class."""
        return self.class_costs.get(demand_class, ClassCost(self.toll_factor, self.distance_factor))

    def with_options(self, **options: Any) -> AssignmentConfig:
        """Return a copy with some fields changed; unknown names raise :class:`InputError`."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise InputError(
                f"unknown assignment option(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
        return replace(self, **options)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data view, for provenance and JSON."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["class_costs"] = {
            k: {
                "toll_factor": v.toll_factor,
                "distance_factor": v.distance_factor,
                "dispersion": v.dispersion,
            }
            for k, v in self.class_costs.items()
        }
        return out
