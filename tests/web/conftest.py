"""Fixtures of the web tests: an app on the tiny two-route model, with a token."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'steppe[web]'")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scenario"))

from fastapi.testclient import TestClient
from tiny import tiny_scenario

from steppe.web import Settings, create_app

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


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as c:
        yield c


def wait_for(client: TestClient, job_id: str, seconds: float = 120) -> dict:
    """Poll a job until it is done or failed."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")
