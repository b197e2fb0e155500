"""``steppe serve``: the web API and dashboard (FastAPI + uvicorn: ``steppe[web]``)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from steppe.commands._common import err, fail, user_errors

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine's loopback (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    store: Annotated[Path, typer.Option("--store", help="Result store (DuckDB file).")] = Path(
        "steppe.duckdb"
    ),
    allow_runs: Annotated[
        bool, typer.Option("--allow-runs", help="Let clients with the token start runs.")
    ] = False,
    token: Annotated[
        str | None,
        typer.Option(envvar="STEPPE_TOKEN",
                     help="Token for starting runs (default: a random one, printed)."),
    ] = None,
    max_runs: Annotated[int, typer.Option(help="Runs solved at the same time.")] = 1,
    queue: Annotated[int, typer.Option(help="Runs allowed to wait.")] = 8,
    scenarios: Annotated[
        Path | None,
        typer.Option(help="Folder of extra preset TOML files (yours, not the clients')."),
    ] = None,
    cors: Annotated[
        list[str] | None, typer.Option("--cors", help="An origin allowed by CORS (repeat).")
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option("--allowed-host",
                     help="A host name clients use (repeat); on loopback: loopback names only."),
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
) -> None:
    """Serve the JSON API and the dashboard; read-only unless --allow-runs."""
    try:
        import uvicorn

        from steppe.web import Settings, create_app, new_token
    except ImportError as exc:
        # "\\[" keeps rich from reading [web] as markup
        fail(f"the web server needs the web extra: pip install 'steppe\\[web]' "
             f"({exc.name} missing)")
    if scenarios is not None and not scenarios.is_dir():
        fail(f"--scenarios {scenarios}: not a folder")
    if allow_runs and not token:
        token = new_token()
        err.print(f"run token: [bold]{token}[/] (send it as 'Authorization: Bearer <token>')")
    if not is_loopback(host):
        err.print(f"[yellow]warning:[/] listening on {host}, not loopback: put it behind a "
                  "TLS proxy; the token travels in clear text otherwise")
    hosts = tuple(allowed_host or ())
    if is_loopback(host):
        hosts += LOOPBACK_NAMES
    settings = Settings(store=store, allow_runs=allow_runs, token=token if allow_runs else None,
                        max_concurrent_runs=max_runs, max_queued_runs=queue,
                        scenario_dir=scenarios, cors_origins=tuple(cors or ()),
                        allowed_hosts=hosts)
    with user_errors():
        app = create_app(settings)
    err.print(f"steppe dashboard: http://{host}:{port}/  (API description: /openapi.json)")
    uvicorn.run(app, host=host, port=port, log_level="info",
                access_log=access_log, server_header=False)
