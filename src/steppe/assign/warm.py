"""Carry a solver's warm-start state over to a network whose links changed.

A state holds per-link arrays in the row order of the network it was solved on. When a
later run removes links (a closure) or adds some, :func:`remap_state` moves the capacity
multipliers and the SUE path sets to the new rows by link id; paths through a removed link
are dropped. Other solvers' states are passed through unchanged (they check what they can
reuse themselves).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from steppe.assign.constrained import ConstrainedState
from steppe.assign.sue_paths import SueState

IntArray = npt.NDArray[np.int64]


def row_map(old_ids: npt.ArrayLike, new_ids: npt.ArrayLike) -> IntArray:
    """Per old link row, its row among ``new_ids`` (-1 where the link is gone)."""
    rows = pd.Index(np.asarray(new_ids, dtype=np.int64)).get_indexer(
        np.asarray(old_ids, dtype=np.int64)
    )
    return np.asarray(rows, dtype=np.int64)


def _moved(values: npt.NDArray[np.float64], rows: IntArray, n_new: int) -> npt.NDArray[np.float64]:
    out = np.zeros(n_new)
    kept = rows >= 0
    out[rows[kept]] = values[kept]
    return out


def remap_state(state: object | None, old_ids: npt.ArrayLike, new_ids: npt.ArrayLike,
                *, constrained: bool) -> object | None:
    """The warm-start ``state`` of a run on links ``old_ids`` for a run on ``new_ids``.

    Parameters
    ----------
    state
        ``AssignmentResult.solver_state`` of the earlier run.
    old_ids, new_ids
        Link ids in row order of the earlier and of the new network.
    constrained
        Whether the new problem has hard capacities (a :class:`ConstrainedState` is
        unwrapped to its inner solver's state when it has none, and vice versa).
    """
    rows = row_map(old_ids, new_ids)
    n_new = len(np.asarray(new_ids))
    same = len(rows) == n_new and bool(np.all(rows == np.arange(n_new)))
    if isinstance(state, ConstrainedState):
        inner = remap_state(state.inner, old_ids, new_ids, constrained=False)
        if not constrained:
            return inner
        if same:
            return ConstrainedState(inner, state.multiplier, state.penalty_weight)
        return ConstrainedState(inner, _moved(state.multiplier, rows, n_new),
                                _moved(state.penalty_weight, rows, n_new))
    if isinstance(state, SueState) and not same:
        return state.remapped(rows)
    return state
