"""What the routes call: presets, the store, the run queue and the solved-run cache."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from steppe.scenario.execute import (
    ScenarioRun,
    run_payload,
    run_scenario,
    scenario_hash,
    scenario_summary,
)
from steppe.scenario.spec import Scenario, scenario_from_content
from steppe.scenario.store import SINGLE_RUN, run_id_of
from steppe.web.errors import ApiError
from steppe.web.jobs import DONE, FAILED, Job, JobQueue
from steppe.web.results import jsonable
from steppe.web.scenarios import Presets
from steppe.web.settings import Settings
from steppe.web.store import SharedStore


class _Lru:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self._size, self._data = size, OrderedDict[Hashable, Any]()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


class Service:
    """The web app's state: one per app, closed on shutdown.

    Parameters
    ----------
    settings
        Server settings.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.presets = Presets(settings.scenario_dir)
        self.presets.names()  # a broken preset of the operator's stops the start, not a request
        self.store = SharedStore(settings.store, writable=settings.allow_runs)
        self.jobs = JobQueue(settings.max_concurrent_runs, settings.max_queued_runs, self._solve)
        self._solved = _Lru(max(1, settings.cache_size))
        self._answers = _Lru(512)

    def close(self) -> None:
        """Stop the queue and close the store."""
        self.jobs.shutdown()
        self.store.close()

    # runs -------------------------------------------------------------------------------

    def start_run(self, scenario: Scenario) -> dict[str, Any]:
        """Queue a run, or return the stored one (``cached``) if the store has it."""
        key = scenario_hash(scenario)
        run_id = run_id_of(key, SINGLE_RUN)
        if self.store.has(key) is not None:
            job = Job(scenario=scenario, scenario_hash=key, run_id=run_id, cached=True)
            job.finish()
            return self.jobs.add_finished(job).as_dict()
        job = self.jobs.submit(Job(scenario=scenario, scenario_hash=key, run_id=run_id))
        return self.jobs.get(job.job_id)

    def _solve(self, job: Job) -> None:
        run = run_scenario(job.scenario, progress=job.report)
        if run.scenario_hash != job.scenario_hash:
            raise RuntimeError("the base model's files changed while the run was queued")
        if job.kind == "run":
            summary = scenario_summary(run)
            self.store.save(run_payload(run, summary=summary))
        self.remember(job.run_id, run)
        job.finish()

    def remember(self, run_id: str, run: ScenarioRun) -> None:
        """Keep a solved run in memory for the analysis endpoints."""
        self._solved.put(run_id, run)

    def solved(self, ref: str) -> ScenarioRun:
        """The solved run of a stored run (re-solved through the queue when not in memory)."""
        record = self.store.record(ref)
        run_id = str(record["run_id"])
        run = self._solved.get(run_id)
        if run is not None:
            return run  # type: ignore[no-any-return]
        scenario = scenario_from_content(record["scenario"], name=str(record["scenario_name"]))
        if record["draw_id"] != SINGLE_RUN or scenario_hash(scenario) != record["scenario_hash"]:
            raise ApiError(409, "cannot_reproduce",
                           f"run {run_id} cannot be re-solved here (a sweep draw, or its base "
                           "files changed since); its stored tables are still available")
        job = self.jobs.submit(Job(scenario=scenario, scenario_hash=record["scenario_hash"],
                                   run_id=run_id, kind="reload"))
        if not self.jobs.job(job.job_id).done.wait(self.settings.wait_seconds):
            raise ApiError(503, "still_solving",
                           f"run {run_id} is being re-solved for analysis; try again shortly")
        if job.status == FAILED:
            raise ApiError(409, "cannot_reproduce", f"re-solving run {run_id} failed: {job.error}")
        run = self._solved.get(run_id)
        assert run is not None and job.status == DONE
        return run  # type: ignore[no-any-return]

    def answer(self, ref: str, name: str, params: tuple[Any, ...],
               compute: Callable[[ScenarioRun], Any]) -> bytes:
        """A result computed from a solved run, as JSON, kept by (run, name, parameters)."""
        run_id = self.store.resolve(ref)
        return self._kept(((run_id,), name, params), lambda: compute(self.solved(run_id)))

    def from_summaries(self, refs: tuple[str, ...], name: str,
                       compute: Callable[..., Any]) -> bytes:
        """A result computed from stored run summaries, as JSON, kept by (runs, name)."""
        run_ids = tuple(self.store.resolve(r) for r in refs)
        return self._kept((run_ids, name, ()),
                          lambda: compute(*(self.summary(r) for r in run_ids)))

    def kept(self, refs: tuple[str, ...], name: str, params: tuple[Any, ...] = ()
             ) -> bytes | None:
        """An answer already computed, found without touching the store or solving."""
        run_ids = tuple(self.store.known(r) for r in refs)
        if None in run_ids:
            return None
        cached: bytes | None = self._answers.get((run_ids, name, params))
        return cached

    def _kept(self, key: Hashable, compute: Callable[[], Any]) -> bytes:
        # runs never change once stored, so neither do their results
        cached = self._answers.get(key)
        if cached is None:
            cached = json.dumps(jsonable(compute()), allow_nan=False,
                                separators=(",", ":")).encode()
            self._answers.put(key, cached)
        return cached  # type: ignore[no-any-return]

    def summary(self, ref: str) -> dict[str, Any]:
        """The stored summary of a run, with its run id."""
        record = self.store.record(ref)
        summary: dict[str, Any] = dict(record["summary"] or {})
        return summary | {"run_id": record["run_id"]}
