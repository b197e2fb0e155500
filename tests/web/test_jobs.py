"""The run queue: bounded, deduplicated, with progress that never goes back."""

from __future__ import annotations

import threading

import pytest

from steppe.web.errors import ApiError
from steppe.web.jobs import Job, JobQueue
from steppe.web.scenarios import Presets


def test_the_queue_is_bounded():
    release = threading.Event()
    queue = JobQueue(1, 1, lambda job: (release.wait(10), job.finish()))
    scenario = Presets(None).get("baseline").scenario
    jobs = [Job(scenario=scenario, scenario_hash=f"h{i}", run_id=f"r{i}") for i in range(3)]
    try:
        first, second = queue.submit(jobs[0]), queue.submit(jobs[1])
        with pytest.raises(ApiError) as refused_job:
            queue.submit(jobs[2])
        assert refused_job.value.status == 429
        assert queue.submit(Job(scenario=scenario, scenario_hash="h1", run_id="r1")) is second
        assert queue.counts() == {"running": 1, "queued": 1}
        assert queue.get(second.job_id)["queue_position"] == 1
        release.set()
        assert first.done.wait(10) and second.done.wait(10)
        assert queue.get(second.job_id)["status"] == "done"
    finally:
        release.set()
        queue.shutdown()


def test_job_progress_never_goes_back():
    job = Job(scenario=Presets(None).get("baseline").scenario, scenario_hash="h", run_id="r")
    assert job.progress() == 0.0
    job.report(1, 1e-2)
    first = job.progress()
    assert 0 < first < 1
    job.report(1, 0.5)  # an outer iteration of a capacity-constrained run starts again
    assert job.progress() == first and job.gap == 0.5
    job.report(9, 1e-9)
    assert job.progress() == 1.0
