"""Recognise a case folder's format and read it: the entry point of ``steppe assign PATH``."""

from __future__ import annotations

import os
from pathlib import Path

from steppe.io.gmns import DEMAND_FILE, LINK_FILE, NODE_FILE, read_gmns
from steppe.io.tables import fail
from steppe.io.tntp import read_tntp_folder
from steppe.model import Demand, Network
from steppe.model.validation import Problem

PathLike = str | os.PathLike[str]

FORMATS: tuple[str, ...] = ("tntp", "gmns")
"""Case formats :func:`read_case` reads."""

_LOOKED_FOR = (f"a TNTP case (a *_net.tntp and a *_trips.tntp file) or a GMNS network "
               f"({NODE_FILE} and {LINK_FILE}, with {DEMAND_FILE})")


def detect_format(folder: PathLike) -> str:
    """Tell which format a case folder is in.

    Parameters
    ----------
    folder
        Case folder.

    Returns
    -------
    str
        ``"tntp"`` when the folder has a ``*_net.tntp`` file (any case), ``"gmns"`` when it
        has ``node.csv`` and ``link.csv``.

    Raises
    ------
    steppe.errors.InputError
        If the path is not a folder, or holds neither or both formats.
    """
    root = Path(folder)
    if not root.is_dir():
        state = "this is a file" if root.exists() else "no such folder"
        fail(Problem(str(root), None, None, None, f"a folder holding {_LOOKED_FOR}; {state}"),
             "cannot read case")
    names = sorted(p.name for p in root.iterdir())
    found = []
    if any(n.lower().endswith("_net.tntp") for n in names):
        found.append("tntp")
    if NODE_FILE in names and LINK_FILE in names:
        found.append("gmns")
    if len(found) != 1:
        listing = ", ".join(names[:20]) + (" …" if len(names) > 20 else "") or "nothing"
        state = "both formats" if found else f"found {listing}"
        fail(Problem(str(root), None, "format", state, f"a folder holding exactly {_LOOKED_FOR}"),
             "cannot read case")
    return found[0]


def read_case(path: PathLike, *, strict: bool = False
              ) -> tuple[Network, Demand, dict[str, object]]:
    """Read a TNTP or GMNS case folder, whichever it is.

    Parameters
    ----------
    path
        Case folder (see :func:`detect_format`).
    strict
        Treat recoverable problems (e.g. duplicate TNTP links) as errors.

    Returns
    -------
    tuple of (Network, Demand, dict)
        The network, the demand and extra facts: ``format`` and ``name`` always; for TNTP
        also ``best_flows`` (DataFrame or None), ``readme_weights`` (CostWeights) and
        ``best_known_objective`` (float or None).

    Raises
    ------
    steppe.errors.InputError
        If the folder's format is not recognised, a GMNS folder has no demand, or a file
        has problems.
    """
    root = Path(path)
    if detect_format(root) == "tntp":
        case = read_tntp_folder(root, strict=strict)
        extra: dict[str, object] = {
            "format": "tntp", "name": case.name, "best_flows": case.best_flows,
            "readme_weights": case.readme_weights,
            "best_known_objective": case.best_known_objective,
        }
        return case.network, case.demand, extra
    network, demand = read_gmns(root, strict=strict)
    if demand is None:
        fail(Problem(str(root / DEMAND_FILE), None, None, None,
                     "a demand file (origin, destination, demand_class, volume) next to "
                     f"{NODE_FILE} and {LINK_FILE}"), "cannot read case")
    return network, demand, {"format": "gmns", "name": network.name}
