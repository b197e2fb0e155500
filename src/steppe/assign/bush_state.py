"""Warm starts of Algorithm B: the bushes of a run, kept to seed a later one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from steppe.assign.kernels.bush_layout import Bushes
from steppe.assign.linkbased import demand_signature
from steppe.assign.problem import AssignmentProblem, FloatArray, IntArray


@dataclass(frozen=True)
class BushState:
    """Warm-start state of Algorithm B: every bush and its flow.

    Bushes are keyed by class name and origin zone; a class's bushes are reused only when
    its routing graph is the same (same allowed links). ``demand_key`` (see
    :func:`steppe.assign.linkbased.demand_signature`) tells whether the
    demand changed (then the flows are reloaded onto the bushes before iterating).
    ``shortest`` is each bush's last measured shortest-path cost (Σ demand × cost).
    """

    class_names: tuple[str, ...]
    graph_keys: tuple[tuple[int, int, str], ...]
    origin_zones: tuple[IntArray, ...]
    demand_key: str
    bushes: Bushes
    n_links: int
    shortest: FloatArray

    @classmethod
    def of(cls, problem: AssignmentProblem, bushes: Bushes, shortest: FloatArray) -> BushState:
        """The state of a finished run (keeps ``bushes``, which must not change after)."""
        return cls(
            class_names=tuple(c.name for c in problem.classes),
            graph_keys=tuple(graph_key(problem, k) for k in range(len(problem.classes))),
            origin_zones=tuple(c.origin_zones.copy() for c in problem.classes),
            demand_key=demand_signature(problem),
            bushes=bushes,
            n_links=problem.n_links,
            shortest=shortest,
        )


def graph_key(problem: AssignmentProblem, k: int) -> tuple[int, int, str]:
    """Identity of class ``k``'s routing graph (node and edge counts and a digest)."""
    g = problem.classes[k].graph
    digest = hashlib.sha256()
    for array in (g.edge_head, g.edge_tail, g.blocked, g.edge_links):
        digest.update(np.ascontiguousarray(array).tobytes())
    return (g.n_nodes, g.n_edges, digest.hexdigest())


_FIELDS = (("order", "order_base"), ("in_ptr", "ptr_base"), ("in_edge", "edge_base"),
           ("in_flow", "edge_base"))


def _copy_bushes(old: Bushes, old_rows: IntArray, new: Bushes, new_rows: IntArray) -> None:
    """Copy bushes ``old_rows`` of ``old`` into ``new_rows`` of ``new`` (same class graph)."""
    if np.all(np.diff(old_rows) == 1) and np.all(np.diff(new_rows) == 1):
        blocks = [(old_rows[0], old_rows[-1] + 1, new_rows[0])]  # the usual case
    else:
        blocks = [(ob, ob + 1, b) for ob, b in zip(old_rows, new_rows, strict=True)]
    for first, stop, target in blocks:
        for field, base in _FIELDS:
            o0, o1 = int(getattr(old, base)[first]), int(getattr(old, base)[stop])
            n0 = int(getattr(new, base)[target])
            getattr(new, field)[n0:n0 + o1 - o0] = getattr(old, field)[o0:o1]
    new.size[new_rows] = old.size[old_rows]
    new.span[new_rows] = old.span[old_rows]


def restore(state: object, problem: AssignmentProblem, bushes: Bushes) -> IntArray:
    """Copy the bushes of a fitting earlier state into ``bushes``.

    Returns, per bush, its row in ``state.bushes`` (-1 where none was restored).
    """
    source = np.full(len(bushes.klass), -1, dtype=np.int64)
    if not isinstance(state, BushState) or state.n_links != problem.n_links:
        return source
    first = 0
    for k, c in enumerate(problem.classes):
        rows = np.arange(first, first + len(c.origin_nodes))
        first += len(c.origin_nodes)
        if c.name not in state.class_names:
            continue
        ko = state.class_names.index(c.name)
        old_zones = state.origin_zones[ko]
        if state.graph_keys[ko] != graph_key(problem, k) or len(old_zones) == 0:
            continue
        where = np.minimum(np.searchsorted(old_zones, c.origin_zones), len(old_zones) - 1)
        found = old_zones[where] == c.origin_zones
        if found.any():
            old_first = sum(len(z) for z in state.origin_zones[:ko])
            _copy_bushes(state.bushes, old_first + where[found], bushes, rows[found])
            source[rows[found]] = old_first + where[found]
    return source
