"""Exceptions and warnings shared by every layer of steppe.

Every error caused by user input is an :class:`InputError`; it carries the list of
:class:`~steppe.model.validation.Problem` records that explain it, so a front end can print
them (file, row, field, value, what was expected) instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from steppe.model.validation import Problem


class SteppeError(Exception):
    """Base class of every error raised by steppe."""


class InputError(SteppeError, ValueError):
    """Input data (a file, a table, an argument) is invalid.

    Parameters
    ----------
    message
        One-paragraph summary.
    problems
        Every problem found, in the order found.
    """

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(problems)

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        shown = [f"  - {p}" for p in self.problems[:20]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"  ... and {more} more problem(s)")
        return "\n".join([head, *shown])


class ConvergenceWarning(UserWarning):
    """An equilibrium run stopped before reaching its target gap.

    Parameters
    ----------
    message
        What happened.
    iterations
        Iterations done.
    relative_gap
        Relative gap reached (dimensionless).
    """

    def __init__(self, message: str, *, iterations: int, relative_gap: float) -> None:
        super().__init__(message)
        self.iterations = iterations
        self.relative_gap = relative_gap
