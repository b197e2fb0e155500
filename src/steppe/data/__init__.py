"""Built-in datasets: the ``eurasia`` Russia–Mongolia–China corridor model."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def eurasia_folder() -> Path:
    """Folder of the built-in ``eurasia`` corridor model (CSV tables and README)."""
    return Path(str(files("steppe.data") / "eurasia"))
