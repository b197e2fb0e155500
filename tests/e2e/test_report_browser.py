"""The HTML report renders in headless Chromium with no console messages and no network.

Needs Debian's chromium (``scripts/install-chromium.sh``); skipped when it is not installed.
Chromium's own background requests (update checks, accounts) carry no page origin and are
ignored; any request the page makes is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))

from three_country import solve, three_country_model

from steppe.viz import ReportEntry, write_report

CHROMIUM = os.environ.get("STEPPE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=10000",
    "--dump-dom",
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium not found at {CHROMIUM}; run scripts/install-chromium.sh")
    folder = tmp_path_factory.mktemp("report")
    run = solve(three_country_model())
    page = write_report(
        [ReportEntry("base", run, description="hand-built"), ReportEntry("again", run)],
        folder / "report.html",
    )
    net_log = folder / "net.json"
    done = subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={folder / 'profile'}",
            f"--log-net-log={net_log}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr, json.loads(net_log.read_text(encoding="utf-8"))


def page_requests(log: dict) -> list[str]:
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params") or {}
        # end-of-job events carry no url; browser-internal requests carry no page origin
        if event["type"] == start and "url" in params and params.get("initiator") != (
            "not an origin"
        ):
            urls.append(params["url"])
    return [u for u in urls if not u.startswith("file:")]


def test_report_renders_every_chart(rendered):
    dom, _, _ = rendered
    assert dom.count("js-plotly-plot") >= 4  # flow map, difference map, borders, balance
    assert "main-svg" in dom


def test_report_logs_nothing_to_the_console(rendered):
    _, stderr, _ = rendered
    console = [line for line in stderr.splitlines() if ":CONSOLE" in line]
    assert console == []


def test_report_makes_no_network_request(rendered):
    _, _, log = rendered
    assert page_requests(log) == []
