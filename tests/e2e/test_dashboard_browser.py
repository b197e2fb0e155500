"""The dashboard in headless Chromium against a real server (``steppe serve`` on loopback).

Load the page, pick a preset, change it (close a crossing), start the run with the token,
wait for it, and see the comparison update — with no console errors and no request
leaving the loopback address. Needs Debian's chromium (``scripts/install-chromium.sh``) and
Playwright's Python package (its own browsers are not used); skipped when either is absent.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scenario"))

from tiny import tiny_scenario  # noqa: E402

CHROMIUM = os.environ.get("STEPPE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "e2e-token-0123456789"
SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if server.poll() is not None:
            raise AssertionError(f"server exited: {server.stderr.read()}")
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not start")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium not found at {CHROMIUM}; run scripts/install-chromium.sh")
    root = tmp_path_factory.mktemp("dashboard")
    folder = root / "scenarios"
    tiny_scenario(folder, name="tiny")
    port = free_port()
    env = {**os.environ, "STEPPE_TOKEN": TOKEN,
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "steppe.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--store", str(root / "runs.duckdb"), "--allow-runs", "--scenarios", str(folder)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def page(server):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.messages, page.requests = [], []
        page.on("console", lambda m: page.messages.append((m.type, m.text)))
        page.on("pageerror", lambda e: page.messages.append(("pageerror", str(e))))
        page.on("request", lambda r: page.requests.append(r.url))
        yield page
        browser.close()


def test_run_a_variant_and_see_the_comparison(server, page):
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready='true']", timeout=30_000)
    assert "runs allowed" in page.inner_text("#server-status")
    assert page.is_visible("#no-runs")

    page.select_option("#preset", "tiny")
    page.wait_for_function(
        "document.querySelectorAll('#close-crossing option').length === 3", timeout=10_000)
    page.select_option("#close-crossing", label="Crossing A (MN–CN, rail)")
    page.fill("#run-name", "tiny-without-a")
    page.fill("#token", TOKEN)
    page.click("#run-button")
    page.wait_for_selector("body[data-last-run]", timeout=300_000)
    page.wait_for_selector("body[data-loading='false']", timeout=60_000)

    assert "done" in page.inner_text("#run-status")
    assert page.eval_on_selector("#run-progress", "e => e.value") == 1
    rows = page.eval_on_selector_all(
        "#compare-table tbody tr", "rows => rows.map(r => r.innerText)")
    crossing_a = [r for r in rows if r.startswith("Crossing A")]
    assert crossing_a and crossing_a[0].split("\t")[2] == "0"  # no tonnes once closed
    assert "tiny → tiny-without-a" in page.inner_text("#compare-summary")
    for chart in ("#map-a", "#map-b", "#tcd-chart", "#balance-chart"):
        assert page.eval_on_selector(chart, "e => e.classList.contains('js-plotly-plot')"), chart
    assert page.locator("#border-table tbody tr").count() >= 1
    runs = page.eval_on_selector_all("#run-a option", "o => o.map(x => x.textContent)")
    assert len(runs) == 2

    errors = [m for m in page.messages if m[0] in ("error", "pageerror", "warning")]
    assert errors == []
    hosts = {urlparse(u).hostname for u in page.requests if not u.startswith("data:")}
    assert hosts == {"127.0.0.1"}


def test_a_wrong_token_is_shown_not_thrown(server, page):
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready='true']", timeout=30_000)
    page.select_option("#preset", "tiny")
    page.fill("#token", "wrong")
    page.click("#run-button")
    page.wait_for_function(
        "document.getElementById('run-status').classList.contains('error')", timeout=30_000)
    assert "token" in page.inner_text("#run-status")
    assert not [m for m in page.messages if m[0] == "pageerror"]
