"""Helpers of the web tests: settings on the tiny two-route model, a token, polling."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scenario"))

from tiny import tiny_scenario

from steppe.web import Settings

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def scenario_folder(root: Path) -> Path:
    """A folder of operator presets: ``tiny`` (the two-route model) and ``tiny-closed``."""
    folder = root / "scenarios"
    tiny_scenario(folder, name="tiny")
    tiny_scenario(folder, name="tiny-closed",
                  edits='\n[[edit]]\nop = "close_border"\nids = [1]\n')
    return folder


def make_settings(root: Path, **options) -> Settings:
    defaults = {"store": root / "runs.duckdb", "allow_runs": True, "token": TOKEN,
                "scenario_dir": scenario_folder(root)}
    return Settings(**(defaults | options))


def wait_for(client, job_id: str, seconds: float = 300) -> dict:
    """Poll a job until it is done or failed."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")
