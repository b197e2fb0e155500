"""PNG export of Plotly figures, offline.

Uses kaleido (>= 1), which drives a local Chrome/Chromium (``BROWSER_PATH``, else the
system's ``chromium``); plotly.js comes from the installed plotly package and MathJax is
switched off, so nothing is fetched. Optional: :func:`png_export_available` says whether it
can run here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import plotly.graph_objects as go


def _browser() -> str | None:
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def png_export_available() -> bool:
    """Whether kaleido and a local Chromium are installed."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return False
    return _browser() is not None


def save_png(
    fig: go.Figure, path: str | Path, *, width: int = 1200, height: int = 700, scale: float = 1.0
) -> Path:
    """Write ``fig`` as a PNG (pixels: width × height × scale); returns the path.

    Raises
    ------
    RuntimeError
        kaleido or a local Chromium is missing.
    """
    if not png_export_available():
        raise RuntimeError(
            "PNG export needs kaleido>=1 (pip install kaleido) and a local Chromium "
            "(scripts/install-chromium.sh, or set BROWSER_PATH)"
        )
    import kaleido

    browser = _browser()
    if browser and "BROWSER_PATH" not in os.environ:
        os.environ["BROWSER_PATH"] = browser  # where choreographer looks for the browser
    data = kaleido.calc_fig_sync(
        fig.to_dict(),
        opts={"format": "png", "width": width, "height": height, "scale": scale},
        kopts={"mathjax": False},
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target
