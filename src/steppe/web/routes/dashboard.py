"""The dashboard page and its assets, all served from this package and plotly (no CDN)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from steppe.web.errors import ApiError

router = APIRouter(include_in_schema=False)
STATIC = Path(str(files("steppe.web") / "static"))
ASSETS = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}


def plotly_js() -> Path:
    """plotly.min.js of the installed plotly package."""
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


@router.get("/")
def index() -> HTMLResponse:
    """The dashboard."""
    return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))


@router.get("/static/{asset}")
def asset(asset: str) -> Response:
    """A dashboard asset, by name from a fixed list (nothing else is served)."""
    if asset == "plotly.min.js":
        return FileResponse(plotly_js(), media_type="text/javascript",
                            headers={"cache-control": "public, max-age=86400"})
    if asset not in ASSETS:
        raise ApiError(404, "not_found", f"no asset {asset[:80]!r}")
    return FileResponse(STATIC / asset, media_type=ASSETS[asset])
