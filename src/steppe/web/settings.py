"""Server settings: one immutable object, given to :func:`steppe.web.app.create_app`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """How the web app runs and what it lets clients do.

    Attributes
    ----------
    store
        The DuckDB result store (the same file ``steppe run --store`` uses).
    allow_runs
        Whether clients may start runs (read-only when ``False``).
    token
        Secret a client must send as ``Authorization: Bearer <token>`` to start a run.
    max_concurrent_runs
        Runs solved at the same time (worker threads).
    max_queued_runs
        Runs waiting for a worker; one more is refused with 429.
    max_body_bytes
        Largest request body accepted (bytes).
    max_edits
        Most edits a posted scenario may have.
    min_gap, max_iter
        Bounds on a posted scenario's target relative gap and iteration count.
    cors_origins
        Origins allowed by CORS; empty: no CORS headers at all.
    scenario_dir
        Extra presets: a folder of scenario TOML files chosen by the operator (their
        ``base`` may be a folder next to them). Clients name them, never the files.
    cache_size
        Solved runs kept in memory for the analysis endpoints.
    wait_seconds
        How long an analysis request waits for a stored run to be re-solved.
    allowed_hosts
        Host names the server answers to (``Host`` header, port aside); empty: any. A
        server on loopback answers only to loopback names, which defeats DNS rebinding.
    """

    store: Path = Path("steppe.duckdb")
    allow_runs: bool = False
    token: str | None = None
    max_concurrent_runs: int = 1
    max_queued_runs: int = 8
    max_body_bytes: int = 64 * 1024
    max_edits: int = 50
    min_gap: float = 1e-7
    max_iter: int = 20_000
    cors_origins: tuple[str, ...] = ()
    scenario_dir: Path | None = None
    cache_size: int = 8
    wait_seconds: float = 300.0
    allowed_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.allow_runs and not self.token:
            raise ValueError("allow_runs needs a token (Settings.token or new_token())")
        if self.max_concurrent_runs < 1 or self.max_queued_runs < 0:
            raise ValueError("max_concurrent_runs must be >= 1 and max_queued_runs >= 0")


def new_token() -> str:
    """A random token (32 URL-safe characters) for ``--allow-runs`` without ``--token``."""
    return secrets.token_urlsafe(24)
