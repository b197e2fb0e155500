"""AequilibraE (1.7.x) peer for steppe's assignment benchmark.

Self-contained: no dependency on steppe.  Everything runs in memory: the graph is built
from a DataFrame (``aequilibrae.paths.Graph``), the demand is an in-memory
``AequilibraeMatrix`` (``memory_only=True``) and no AequilibraE project is opened or
created, so nothing is written to disk.

How the benchmark problem maps onto the AequilibraE 1.7.2 API (read from the installed
source, ``aequilibrae/paths/{graph,traffic_class,traffic_assignment,linear_approximation}.py``):

* Generalized cost = BPR time + toll_factor*toll + distance_factor*length.  AequilibraE's
  mechanism is a per-class *fixed cost*: ``TrafficClass.set_fixed_cost(field, multiplier)``
  plus ``TrafficClass.set_vot(vot)``.  Inside ``LinearApproximation.execute`` the class cost
  is ``graph[field] * multiplier / vot + congested_time`` and that same quantity enters the
  line search (Beckmann objective) and the relative gap.  We put
  ``toll_factor*toll + distance_factor*length`` in a graph column ``fixed_cost`` with
  multiplier 1 and vot 1.  The fixed cost must be >= 0 (AequilibraE raises otherwise).
* Pass-through blocking at zones: ``Graph.set_blocked_centroid_flows(bool)`` (default True),
  which blocks flow through *all* centroids passed to ``Graph.prepare_graph(centroids)``.
  Centroids are nodes ``1..zones``.  So ``first_thru_node == zones + 1`` -> blocked,
  ``first_thru_node == 1`` -> not blocked.  Other values (partial blocking) cannot be
  expressed in AequilibraE and raise ``ValueError``.
* Threads: ``TrafficAssignment.set_cores(n)`` (after the classes are set; it must precede
  ``set_algorithm`` because ``LinearApproximation`` copies ``cores`` when it is built).
* Stopping: ``TrafficAssignment.rgap_target`` (float) and ``TrafficAssignment.max_iter``
  (int).  AequilibraE stops at the first iteration whose rgap <= rgap_target
  (``steps_below_needed_to_terminate == 1``).
* Relative gap (``LinearApproximation.check_convergence``):
  ``|sum(c*x) - sum(c*y_aon)| / sum(c*x)`` where ``c`` = congested time + fixed cost
  evaluated at the flows *before* the iteration's step (i.e. the costs the AoN was run on),
  ``x`` = flows *after* the step and ``y_aon`` the AoN flows.  Iteration 1 has no gap
  (reported as ``inf``).
* Algorithms: ``set_algorithm`` accepts ``"msa"``, ``"fw"`` (= ``"frank-wolfe"``),
  ``"cfw"``, ``"bfw"``.

Zero free-flow times: AequilibraE's ``set_time_field`` refuses any link with time <= 0, but
TNTP centroid connectors often have ``free_flow_time == 0`` (Chicago-Sketch, Berlin-Center).
To solve the *same* problem rather than a perturbed one, the graph column handed to
``set_time_field`` carries a positive placeholder on those links only for that validation;
right after it, the free-flow time arrays AequilibraE actually uses
(``TrafficAssignment.free_flow_tt`` and ``TrafficAssignment.congested_time``, indexed by
``__supernet_id__``) are overwritten in place with the true values (zeros included).  The
BPR evaluation ``t0*(1 + a*(x/c)^b)`` and its derivative are then exactly zero on those
links, as in the TNTP definition.  Apart from the graph column itself, the placeholder
only reaches the graph's initial path-cost arrays (``Graph.set_graph``), which the
assignment overwrites with ``congested_time + fixed_cost`` before every AoN, including
the first.  (Checked on Chicago-Sketch, whose 774 connectors have zero time: the Beckmann
objective of the returned flows matches the best-known one to 3e-5 at rgap 1e-4 and to
1e-7 at rgap 1e-6.  Berlin-Center has 8806 zero-time links.)

Link order: each input row becomes one AequilibraE link with ``link_id = row + 1`` and
``direction = 1`` (parallel links stay distinct links).  Flows are read from
``LinearApproximation.fw_total_flow`` (indexed by ``__supernet_id__``) and put back in row
order through the ``link_id``/``__supernet_id__`` pairs of ``graph.graph``.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

# Progress bars (tqdm) are decided when aequilibrae is first imported; turn them off
# unless the caller explicitly asked for them.
os.environ.setdefault("AEQ_SHOW_PROGRESS", "FALSE")

import aequilibrae
from aequilibrae.matrix import AequilibraeMatrix
from aequilibrae.paths import Graph, TrafficAssignment, TrafficClass

__all__ = ["run_aequilibrae"]

_ALGORITHMS = {"msa": "msa", "fw": "fw", "cfw": "cfw", "bfw": "bfw"}
_REQUIRED = (
    "from_node",
    "to_node",
    "capacity",
    "free_flow_time",
    "length",
    "toll",
    "alpha",
    "beta",
)
_TIME_PLACEHOLDER = 1.0  # only seen by set_time_field's "> 0" validation, see module doc


class _Capture(logging.Handler):
    """Collects AequilibraE log records (WARNING and above) instead of printing them."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname}: {record.getMessage()}")


def _aeq_version() -> str:
    try:
        from importlib.metadata import version

        return version("aequilibrae")
    except Exception:  # pragma: no cover
        return str(getattr(aequilibrae, "__version__", "unknown"))


def run_aequilibrae(
    links: pd.DataFrame,
    demand: np.ndarray,
    *,
    zones: int,
    first_thru_node: int,
    algorithm: str = "bfw",
    target_gap: float = 1e-4,
    max_iter: int = 1000,
    threads: int = 2,
    toll_factor: float = 0.0,
    distance_factor: float = 0.0,
) -> dict[str, Any]:
    """Run an AequilibraE static user-equilibrium assignment on a TNTP-style network.

    Parameters
    ----------
    links
        One row per link, in file order, with columns ``from_node``, ``to_node`` (node ids
        1..N, zones are nodes 1..zones), ``capacity``, ``free_flow_time``, ``length``,
        ``toll``, ``alpha`` (BPR B) and ``beta`` (BPR power).  Parallel links are kept.
    demand
        Dense (zones x zones) OD matrix, row = origin zone.
    zones, first_thru_node
        TNTP metadata.  ``first_thru_node == 1``: paths may pass through zone nodes;
        ``first_thru_node == zones + 1``: they may not (AequilibraE blocked centroid flows).
    algorithm
        ``"msa"``, ``"fw"``, ``"cfw"`` or ``"bfw"``.
    target_gap, max_iter
        AequilibraE ``rgap_target`` and ``max_iter``.
    threads
        ``TrafficAssignment.set_cores`` (capped by AequilibraE at the CPU count).
    toll_factor, distance_factor
        Generalized cost = BPR time + toll_factor*toll + distance_factor*length, passed as
        an AequilibraE fixed cost (multiplier 1, value of time 1).

    Returns
    -------
    dict with

    ``seconds``
        Wall time of ``TrafficAssignment.execute()`` only.  The clock starts right before
        ``execute()``; graph, matrix and assignment objects are all built before.  Inside
        the timed section AequilibraE still does its per-run bookkeeping: sizing the result
        arrays, filling the fixed-cost array, one ``Graph.set_graph`` (a group-by over the
        compact graph), creating the AoN objects, then the iterations themselves.
    ``setup_seconds``
        Wall time of AequilibraE's graph preparation (NOT inside ``seconds``): building the
        ``Graph`` from the DataFrame, ``prepare_graph`` (directed graph, dead-end removal and
        degree-2 chain contraction into the compact graph used by the AoN) and
        ``set_graph``/``set_skimming``/``set_blocked_centroid_flows``.
    ``assignment_setup_seconds``
        Wall time of the remaining set-up (matrix, TrafficClass, TrafficAssignment
        configuration), also NOT inside ``seconds``.
    ``iterations``, ``relative_gap``
        AequilibraE's final iteration count and its own rgap (see module doc).
    ``flows``
        float64 array of total link flows aligned with the rows of ``links``.
    ``convergence``
        list of ``(iteration, rgap)`` from AequilibraE's convergence report (iteration 1
        has rgap ``inf``).
    ``converged``
        ``relative_gap <= target_gap``.
    ``version``, ``algorithm``, ``threads``, ``blocked_centroids``, ``log``
        AequilibraE version, algorithm name as AequilibraE records it, cores actually used,
        whether centroid pass-through was blocked and captured warnings/errors of
        AequilibraE's logger.
    """
    algo = _ALGORITHMS.get(str(algorithm).lower())
    if algo is None:
        raise ValueError(f"algorithm must be one of {sorted(_ALGORITHMS)}, got {algorithm!r}")
    missing = [c for c in _REQUIRED if c not in links.columns]
    if missing:
        raise ValueError(f"links is missing columns {missing}")
    zones = int(zones)
    first_thru_node = int(first_thru_node)
    if first_thru_node == 1:
        block = False
    elif first_thru_node == zones + 1:
        block = True
    else:
        raise ValueError(
            "AequilibraE can only block pass-through at all centroids or none: need "
            f"first_thru_node in (1, zones + 1 = {zones + 1}), got {first_thru_node}"
        )
    demand = np.ascontiguousarray(demand, dtype=np.float64)
    if demand.shape != (zones, zones):
        raise ValueError(f"demand must be ({zones}, {zones}), got {demand.shape}")

    n_links = len(links)
    fft = links["free_flow_time"].to_numpy(dtype=np.float64)
    fixed = float(toll_factor) * links["toll"].to_numpy(dtype=np.float64) + float(
        distance_factor
    ) * links["length"].to_numpy(dtype=np.float64)
    if np.any(fixed < 0):
        raise ValueError("AequilibraE requires a non-negative fixed cost on every link")

    logger = logging.getLogger("aequilibrae")
    capture = _Capture()
    old_propagate = logger.propagate
    # With a handler attached, Python's last-resort stderr handler stays silent.
    logger.addHandler(capture)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # pandas' deprecation notices about AequilibraE internals are not ours to report.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)

            # ---------------- graph preparation (setup_seconds) ----------------
            t0 = time.perf_counter()
            network = pd.DataFrame(
                {
                    "link_id": np.arange(1, n_links + 1, dtype=np.int64),
                    "a_node": links["from_node"].to_numpy(dtype=np.int64),
                    "b_node": links["to_node"].to_numpy(dtype=np.int64),
                    "direction": np.ones(n_links, dtype=np.int8),
                    "free_flow_time": np.where(fft > 0, fft, _TIME_PLACEHOLDER),
                    "capacity": links["capacity"].to_numpy(dtype=np.float64),
                    "bpr_alpha": links["alpha"].to_numpy(dtype=np.float64),
                    "bpr_beta": links["beta"].to_numpy(dtype=np.float64),
                    "fixed_cost": fixed,
                }
            )
            graph = Graph()
            graph.network = network
            centroids = np.arange(1, zones + 1, dtype=np.int64)
            graph.prepare_graph(centroids)
            graph.set_graph("free_flow_time")
            graph.set_skimming([])
            graph.set_blocked_centroid_flows(block)
            setup_seconds = time.perf_counter() - t0

            # ---------------- matrix + assignment objects ----------------
            t1 = time.perf_counter()
            mat = AequilibraeMatrix()
            mat.create_empty(zones=zones, matrix_names=["demand"], memory_only=True)
            mat.index[:] = graph.centroids[:]
            mat.matrices[:, :, 0] = demand
            mat.computational_view(["demand"])

            tc = TrafficClass("car", graph, mat)
            tc.set_pce(1.0)
            tc.set_vot(1.0)
            if np.any(fixed > 0):
                tc.set_fixed_cost("fixed_cost", multiplier=1.0)

            assig = TrafficAssignment()
            assig.set_classes([tc])
            assig.set_cores(int(threads))
            assig.set_vdf("BPR")
            assig.set_vdf_parameters({"alpha": "bpr_alpha", "beta": "bpr_beta"})
            assig.set_capacity_field("capacity")
            assig.set_time_field("free_flow_time")
            # Restore the true free-flow times (zeros included) in the arrays AequilibraE
            # uses for the BPR function; see the module docstring.
            sid = graph.graph["__supernet_id__"].to_numpy()
            lid = graph.graph["link_id"].to_numpy()
            assig.free_flow_tt[sid] = fft[lid - 1]
            assig.congested_time[sid] = fft[lid - 1]
            assig.set_algorithm(algo)
            assig.max_iter = int(max_iter)
            assig.rgap_target = float(target_gap)
            la = assig.assignment
            if la.cores != assig.cores or la.max_iter != int(max_iter):
                raise RuntimeError("AequilibraE did not take the cores / max_iter settings")
            assignment_setup_seconds = time.perf_counter() - t1

            # ---------------- the timed assignment ----------------
            t2 = time.perf_counter()
            assig.execute()
            seconds = time.perf_counter() - t2

        flows = np.zeros(n_links, dtype=np.float64)
        flows[lid - 1] = la.fw_total_flow[sid]
        rep = la.convergence_report
        convergence = [
            (int(i), float(g)) for i, g in zip(rep["iteration"], rep["rgap"], strict=True)
        ]
        log = capture.messages + list(dict.fromkeys(f"warning: {w.message}" for w in caught))
    finally:
        logger.removeHandler(capture)
        logger.propagate = old_propagate

    rgap = float(la.rgap)
    return {
        "seconds": seconds,
        "setup_seconds": setup_seconds,
        "assignment_setup_seconds": assignment_setup_seconds,
        "iterations": int(la.iter),
        "relative_gap": rgap,
        "converged": bool(rgap <= target_gap),
        "flows": flows,
        "convergence": convergence,
        "version": _aeq_version(),
        "algorithm": assig.algorithm,
        "threads": int(la.cores),
        "blocked_centroids": block,
        "log": log,
    }
