"""Shared fixtures and helpers: where the TNTP reference cases are, and reading them.

The TNTP cases (SiouxFalls, Anaheim, Chicago-Sketch, Berlin-Center, …) are not in the
repository. Their root folder is taken from the environment variable ``STEPPE_TNTP_DIR``,
defaulting to ``<repo>/../shared/tntp``; tests that need a case are skipped, with a message
naming the path and the variable, when it is absent.

Test modules import these helpers (``from tntp_cases import tntp_case``); ``conftest.py``
wraps them as fixtures. They live in their own module because several test folders have a
``conftest.py``, so ``import conftest`` would be ambiguous.
"""

from __future__ import annotations

import os
import warnings
from functools import cache
from pathlib import Path

import pytest

from steppe.io.tntp import TntpCase, read_tntp_folder
from steppe.model import DataWarning, Network

REPO = Path(__file__).resolve().parents[1]
TNTP_ENV = "STEPPE_TNTP_DIR"


def tntp_root() -> Path:
    """TNTP root folder: ``$STEPPE_TNTP_DIR`` or ``<repo>/../shared/tntp`` (may not exist)."""
    configured = os.environ.get(TNTP_ENV)
    return Path(configured) if configured else (REPO.parent / "shared" / "tntp").resolve()


def tntp_path(name: str | None = None) -> Path:
    """The TNTP root, or one case folder in it; skips the calling test when it is absent."""
    root = tntp_root()
    folder = root if name is None else root / name
    if not folder.is_dir():
        what = "TNTP data folder" if name is None else f"TNTP case '{name}'"
        pytest.skip(f"{what} not found at {folder}; set {TNTP_ENV} to the folder holding the "
                    "TNTP cases (SiouxFalls/, Anaheim/, Chicago-Sketch/, …)")
    return folder


@cache
def _read_case(folder: Path) -> TntpCase:
    with warnings.catch_warnings():
        # Berlin-Center's known duplicate links; tests of that warning read the files afresh.
        warnings.simplefilter("ignore", DataWarning)
        return read_tntp_folder(folder)


def tntp_case(name: str) -> TntpCase:
    """Read a TNTP case folder (cached per session: do not mutate its tables)."""
    return _read_case(tntp_path(name))


def tntp_network(name: str) -> Network:
    """The network of a TNTP case (cached per session: do not mutate its tables)."""
    return tntp_case(name).network
