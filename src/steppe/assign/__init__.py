"""Equilibrium assignment: numba kernels, link-based and bush-based solvers."""

from steppe.assign.api import assign, beckmann_objective
from steppe.assign.config import ALGORITHMS, AssignmentConfig, ClassCost
from steppe.assign.result import AssignmentResult

__all__ = [
    "ALGORITHMS",
    "AssignmentConfig",
    "AssignmentResult",
    "ClassCost",
    "assign",
    "beckmann_objective",
]
