"""Load test of the web API on loopback: N concurrent clients read results for T seconds.

Usage::

    python -m benchmarks.load                      # start a server, run `baseline`, 50 clients, 30 s
    python -m benchmarks.load --preset sco --clients 20 --seconds 10
    python -m benchmarks.load --url http://127.0.0.1:8000 --run baseline   # a running server

Without ``--url`` it starts ``steppe serve`` on a free loopback port with a temporary store,
runs the preset once through the API (with a random token) and then measures. With
``--url`` the server must already hold the run (``--run``, default: the newest); only
loopback addresses are accepted. Every endpoint is read once before the clock starts (the
first read of an analysis computes it). Each client loops over the result endpoints until
the time is up; a response other than 200, or a failed request, is an error. Prints a
table (requests, errors, p50 and p99 latency in ms, requests per second) and writes
``benchmarks/results/load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import httpx
import numpy as np

from steppe.commands.serve import is_loopback

RESULTS = Path(__file__).parent / "results"
SRC = Path(__file__).resolve().parents[1] / "src"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _loopback(url: str) -> bool:
    return is_loopback(urlparse(url).hostname or "")


@contextmanager
def started_server(token: str):
    """``steppe serve`` on a free loopback port with a temporary store; yields its URL."""
    folder = Path(tempfile.mkdtemp(prefix="steppe-load-"))
    port = _free_port()
    env = {**os.environ, "STEPPE_TOKEN": token,
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen(
        [sys.executable, "-m", "steppe.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--store", str(folder / "load.duckdb"), "--allow-runs", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def solve(url: str, preset: str, token: str) -> str:
    """Run a preset through the API and wait for it; returns its run id."""
    headers = {"Authorization": f"Bearer {token}"}
    job = httpx.post(f"{url}/api/runs", json={"preset": preset}, headers=headers,
                     timeout=120).json()
    while job["status"] in ("queued", "running"):
        time.sleep(1)
        job = httpx.get(f"{url}/api/jobs/{job['job_id']}", timeout=30).json()
    if job["status"] != "done":
        raise RuntimeError(f"run of {preset} failed: {job.get('error')}")
    print(f"solved {preset}: run {job['run_id']} in {job['seconds']} s", file=sys.stderr)
    return str(job["run_id"])


def endpoints(url: str, run: str) -> dict[str, str]:
    """The result endpoints read, by label (paths with their query)."""
    choices = httpx.get(f"{url}/api/runs/{run}/choices", timeout=600).json()
    names = [p["name"] for p in choices["places"]]
    origin = "Tianjin" if "Tianjin" in names else names[0]
    destination = "Ulaanbaatar" if "Ulaanbaatar" in names else names[-1]
    commodity = "container" if "container" in choices["commodities"] else choices["commodities"][0]
    country = "MN" if "MN" in choices["countries"] else choices["countries"][0]
    tcd = urlencode({"origin": origin, "destination": destination, "commodity": commodity})
    return {
        "runs": "/api/runs",
        "summary": f"/api/runs/{run}",
        "crossings": f"/api/runs/{run}/crossings",
        "route-shares": f"/api/runs/{run}/route-shares",
        "border-table": f"/api/runs/{run}/border-table",
        "dependency": f"/api/runs/{run}/dependency?country={country}",
        "hub-rank": f"/api/runs/{run}/hub-rank?top=25",
        "tcd": f"/api/runs/{run}/tcd?{tcd}",
        "flow-map": f"/api/runs/{run}/flow-map",
        "compare": f"/api/compare?a={run}&b={run}",
    }


async def client(index: int, http: httpx.AsyncClient, paths: list[tuple[str, str]],
                 stop: float, samples: dict[str, list[float]], errors: dict[str, int]) -> None:
    """One client: read the endpoints in turn (starting at its own offset) until ``stop``."""
    i = index
    while time.perf_counter() < stop:
        label, path = paths[i % len(paths)]
        i += 1
        start = time.perf_counter()
        try:
            response = await http.get(path)
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        samples[label].append(time.perf_counter() - start)
        if not ok:
            errors[label] += 1


async def measure(url: str, paths: dict[str, str], clients: int, seconds: float
                  ) -> tuple[dict[str, list[float]], dict[str, int], float]:
    """Run the clients for ``seconds``; latencies (s) and error counts by endpoint."""
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
        for path in paths.values():  # warm-up: the first read of an analysis computes it
            (await http.get(path)).raise_for_status()
        start = time.perf_counter()
        stop = start + seconds
        await asyncio.gather(*(client(i, http, list(paths.items()), stop, samples, errors)
                               for i in range(clients)))
        elapsed = time.perf_counter() - start
    return samples, errors, elapsed


def table(samples: dict[str, list[float]], errors: dict[str, int], elapsed: float
          ) -> list[dict[str, Any]]:
    """Rows per endpoint and a total: requests, errors, p50/p99 (ms), requests per second."""
    def row(label: str, times: list[float], failed: int) -> dict[str, Any]:
        ms = np.asarray(times) * 1e3
        return {"endpoint": label, "requests": len(times), "errors": failed,
                "p50_ms": round(float(np.percentile(ms, 50)), 2) if len(ms) else None,
                "p99_ms": round(float(np.percentile(ms, 99)), 2) if len(ms) else None,
                "req_per_s": round(len(times) / elapsed, 1)}

    rows = [row(k, v, errors.get(k, 0)) for k, v in sorted(samples.items())]
    everything = [t for v in samples.values() for t in v]
    rows.append(row("total", everything, sum(errors.values())))
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    """A Markdown table of the rows."""
    print("| endpoint | requests | errors | p50 ms | p99 ms | req/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['endpoint']} | {r['requests']} | {r['errors']} | {r['p50_ms']} | "
              f"{r['p99_ms']} | {r['req_per_s']} |")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks.load``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (loopback only)")
    parser.add_argument("--run", help="run to read (with --url): id, prefix or scenario name")
    parser.add_argument("--preset", default="baseline", help="preset to run first (no --url)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 500 or not 0 < args.seconds <= 600:
        parser.error("--clients must be 1..500 and --seconds 0..600 (a bounded test)")
    if args.url and not _loopback(args.url):
        parser.error("the load test only targets loopback addresses (127.0.0.0/8, ::1)")
    if args.url:
        run = args.run or httpx.get(f"{args.url}/api/runs", timeout=30).json()[0]["run_id"]
        rows, info = _run(args.url, run, args)
    else:
        token = secrets.token_urlsafe(16)
        with started_server(token) as url:
            run = solve(url, args.preset, token)
            rows, info = _run(url, run, args)
    print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**info, "rows": rows}, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0 if rows[-1]["errors"] == 0 else 1


def _run(url: str, run: str, args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict]:
    paths = endpoints(url, run)
    samples, errors, elapsed = asyncio.run(measure(url, paths, args.clients, args.seconds))
    info = {"clients": args.clients, "seconds": round(elapsed, 2), "run": run,
            "preset": None if args.url else args.preset, "endpoints": paths,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform()},
            "note": "client and server on the same machine, sharing its cores"}
    return table(samples, errors, elapsed), info


if __name__ == "__main__":
    sys.exit(main())
