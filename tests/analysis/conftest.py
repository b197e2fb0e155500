from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from three_country import solve, three_country_model


@pytest.fixture(scope="session")
def three():
    """The solved hand-built three-country network (see three_country.py)."""
    return solve(three_country_model())
