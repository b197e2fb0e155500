"""The bounded run queue: at most N runs solve at once, at most M wait; progress per job."""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from steppe.scenario.spec import Scenario
from steppe.web.errors import ApiError

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass
class Job:
    """One run (or a re-solve of a stored run) and its progress.

    Attributes
    ----------
    scenario
        What to solve.
    scenario_hash, run_id
        Identity of the run in the store.
    kind
        ``"run"`` (a client's run, stored when done) or ``"reload"`` (re-solve a stored
        run to answer analysis requests).
    iteration, gap
        Last progress report of the solver (relative gap, dimensionless).
    """

    scenario: Scenario
    scenario_hash: str
    run_id: str
    kind: str = "run"
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    status: str = QUEUED
    iteration: int = 0
    gap: float | None = None
    error: str | None = None
    cached: bool = False
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    best: float = 0.0

    def report(self, iteration: int, gap: float) -> None:
        """Solver progress callback: iteration number and relative gap."""
        self.iteration = int(iteration)
        self.gap = float(gap) if math.isfinite(gap) else None
        if self.gap is not None and self.gap > 0:
            span = max(-math.log10(self.scenario.gap), 1e-9)
            # runs with hard capacities restart the gap in each outer iteration: the share
            # done never goes back
            self.best = max(self.best, min(1.0, max(0.0, -math.log10(self.gap) / span)))

    def progress(self) -> float:
        """Share done, 0 to 1: log10 of the best relative gap from 1 down to the target gap."""
        return 1.0 if self.status == DONE else self.best

    def finish(self, error: str | None = None) -> None:
        """Mark the job done (or failed with a reason) and wake its waiters."""
        self.status = FAILED if error else DONE
        self.error = error
        self.finished = time.time()
        self.done.set()

    def as_dict(self, position: int | None = None) -> dict[str, Any]:
        """The job as the API returns it."""
        return {
            "job_id": self.job_id, "kind": self.kind, "status": self.status,
            "scenario": self.scenario.name, "run_id": self.run_id,
            "scenario_hash": self.scenario_hash, "iteration": self.iteration,
            "relative_gap": self.gap, "target_gap": self.scenario.gap,
            "progress": round(self.progress(), 4), "queue_position": position,
            "error": self.error, "cached": self.cached,
            "seconds": None if self.started is None
            else round((self.finished or time.time()) - self.started, 3),
        }


class JobQueue:
    """A thread pool of ``workers`` with a waiting line of at most ``max_queued`` jobs.

    Parameters
    ----------
    workers
        Jobs solved at once.
    max_queued
        Jobs allowed to wait; beyond, :meth:`submit` raises a 429 :class:`ApiError`.
    solve
        Called in a worker thread with the job; it must call :meth:`Job.finish`.
    keep
        Finished jobs remembered for polling.
    """

    def __init__(self, workers: int, max_queued: int, solve: Callable[[Job], None],
                 *, keep: int = 200) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="steppe-run")
        self._max_queued, self._solve, self._keep = max_queued, solve, keep
        self._workers = workers
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._line: list[str] = []

    def submit(self, job: Job) -> Job:
        """Queue a job, or return the unfinished job of the same run and kind."""
        with self._lock:
            for other in self._jobs.values():
                if (other.run_id == job.run_id and other.kind == job.kind
                        and other.status in (QUEUED, RUNNING)):
                    return other
            if len(self._line) >= self._max_queued + self._idle():
                raise ApiError(429, "queue_full",
                               f"{len(self._line)} runs are waiting, the server's limit; "
                               "try again when one has finished")
            self._jobs[job.job_id] = job
            self._line.append(job.job_id)
            self._forget_old()
        self._pool.submit(self._work, job)
        return job

    def _idle(self) -> int:
        running = sum(1 for j in self._jobs.values() if j.status == RUNNING)
        return max(0, self._workers - running)

    def add_finished(self, job: Job) -> Job:
        """Record a job that needed no work (e.g. a run already in the store)."""
        with self._lock:
            self._jobs[job.job_id] = job
            self._forget_old()
        return job

    def _forget_old(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.done.is_set()),
                          key=lambda j: j.created)
        for job in finished[: max(0, len(finished) - self._keep)]:
            del self._jobs[job.job_id]

    def _work(self, job: Job) -> None:
        with self._lock:
            self._line.remove(job.job_id)
            job.status, job.started = RUNNING, time.time()
        try:
            self._solve(job)
        except Exception as exc:  # a failed run is reported on its job, not raised
            job.finish(f"{type(exc).__name__}: {exc}")
        if not job.done.is_set():
            job.finish()

    def get(self, job_id: str) -> dict[str, Any]:
        """A job as a dict; unknown ids raise a 404 :class:`ApiError`."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise ApiError(404, "unknown_job", f"no job {job_id!r} (jobs are kept in memory)")
            return job.as_dict(self._position(job))

    def job(self, job_id: str) -> Job:
        """The job object itself (for waiting on it)."""
        with self._lock:
            return self._jobs[job_id]

    def _position(self, job: Job) -> int | None:
        return self._line.index(job.job_id) + 1 if job.job_id in self._line else None

    def jobs(self) -> list[dict[str, Any]]:
        """Every remembered job, newest first."""
        with self._lock:
            ordered = sorted(self._jobs.values(), key=lambda j: -j.created)
            return [j.as_dict(self._position(j)) for j in ordered]

    def counts(self) -> dict[str, int]:
        """Jobs running and waiting."""
        with self._lock:
            running = sum(1 for j in self._jobs.values() if j.status == RUNNING)
            return {"running": running, "queued": len(self._line)}

    def shutdown(self) -> None:
        """Stop taking jobs; running ones finish, waiting ones are dropped."""
        self._pool.shutdown(wait=False, cancel_futures=True)
