"""Shared fixtures: the TNTP reference cases (helpers in ``tntp_cases.py``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from steppe.io.tntp import TntpCase
from steppe.model import Network
from tntp_cases import tntp_case, tntp_network, tntp_path

# CI runs the same examples every time (a failure there is reproducible, not a lucky draw);
# elsewhere hypothesis explores new ones. HYPOTHESIS_PROFILE=explore forces exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else
                                     "explore"))


@pytest.fixture(name="tntp_dir")
def _tntp_dir_fixture() -> Path:
    """The TNTP root folder (the test is skipped when it is absent)."""
    return tntp_path()


@pytest.fixture(name="tntp_network")
def _tntp_network_fixture() -> Callable[[str], Network]:
    """Factory: ``tntp_network("SiouxFalls")`` → Network (skips when the case is absent)."""
    return tntp_network


@pytest.fixture(name="tntp_case")
def _tntp_case_fixture() -> Callable[[str], TntpCase]:
    """Factory: ``tntp_case("SiouxFalls")`` → TntpCase (skips when the case is absent)."""
    return tntp_case
