"""The web app: ``create_app(settings)`` builds the FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from steppe import __version__
from steppe.web.errors import install_error_handlers
from steppe.web.limits import BodyLimit, HostCheck, SecurityHeaders
from steppe.web.routes import dashboard, meta, results, runs
from steppe.web.service import Service
from steppe.web.settings import Settings

DESCRIPTION = """Explore, compare and run steppe corridor scenarios.

Reading is open; starting a run needs a server started with `--allow-runs` and its token
(`Authorization: Bearer <token>`). Errors are JSON: `{"error": ..., "detail": ...}`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The steppe web app: JSON API under ``/api``, the dashboard at ``/``.

    Parameters
    ----------
    settings
        Server settings (defaults: read-only, ``./steppe.duckdb``).

    Returns
    -------
    fastapi.FastAPI
        The app; its store and run queue open at start-up and close at shutdown.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.service.close()

    app = FastAPI(title="steppe", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.service = Service(settings)
    install_error_handlers(app)
    for module in (meta, results, runs, dashboard):
        app.include_router(module.router)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"],
                           allow_headers=["authorization", "content-type"])
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(HostCheck, allowed=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders)
    return app
