"""Sweeps: one scenario run over a grid or Monte Carlo draws of its parameters.

A sweep file names a scenario (a preset or a TOML path), the uncertain inputs and how to
draw them::

    [sweep]
    name = "border-uncertainty"
    scenario = "sco"             # preset name or path relative to this file
    method = "monte_carlo"       # or "grid"
    draws = 1000
    seed = 7
    gap = 1e-4                   # optional: overrides the scenario's target gap

    [[input]]
    name = "dwell_factor"        # a parameter of the scenario, or one defined below
    distribution = "triangular"  # uniform | normal | lognormal | triangular | choice
    low = 0.5
    mode = 0.7
    high = 1.0

    [parameters]                 # extra parameters, used by the extra edits below
    [[edit]]                     # extra edits, appended to the scenario's

Draw ``i`` always gets the same values for the same spec and seed (the values are drawn
all at once, input by input), so a stopped sweep resumes where it stopped: draws already in
the store (by scenario hash and draw id) are skipped. Finished draws are written in small
batches, one transaction each: a sweep killed at any moment keeps every draw written before
and loses only the few finished since the last write (at most ``WRITE_BATCH``), which it runs
again when started again — nothing stored is lost or duplicated. A draw that fails is stored
as failed, with its reason.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import time
import tomllib
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from steppe.scenario.spec import Edit, Scenario, ScenarioError, load_scenario, parse_scenario
from steppe.scenario.store import RunPayload, RunStore, failed_payload

DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "sigma"),
    "triangular": ("low", "mode", "high"),
    "choice": ("values",),
}
"""Distributions and their fields (lognormal: mean and sigma of the logarithm)."""


@dataclass(frozen=True)
class SweepInput:
    """One uncertain input: a scenario parameter and its distribution or grid values."""

    name: str
    distribution: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Sweep:
    """A sweep: the scenario, its inputs and the draws.

    Attributes
    ----------
    name
        Label.
    scenario
        The scenario (with the sweep's extra parameters and edits).
    method
        ``"monte_carlo"`` or ``"grid"``.
    draws
        Number of Monte Carlo draws (grids: the product of the value lists).
    seed
        Random seed.
    inputs
        Uncertain inputs.
    warm_start
        Start each draw from the scenario's own solution when the demand is the same.
    """

    name: str
    scenario: Scenario
    method: str
    draws: int
    seed: int
    inputs: tuple[SweepInput, ...]
    warm_start: bool = True
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def sweep_id(self) -> str:
        """Hash of the sweep spec (and of its scenario's content)."""
        text = json.dumps({"spec": self.spec, "scenario": self.scenario.content()},
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def values(self) -> list[dict[str, float]]:
        """Parameter values of every draw, in draw order."""
        if self.method == "grid":
            grids = [[float(v) for v in i.arguments["values"]] for i in self.inputs]
            return [dict(zip([i.name for i in self.inputs], combo, strict=True))
                    for combo in itertools.product(*grids)]
        rng = np.random.default_rng(self.seed)
        columns = {i.name: _draw(rng, i, self.draws) for i in self.inputs}
        return [{k: float(v[d]) for k, v in columns.items()} for d in range(self.draws)]


def _draw(rng: np.random.Generator, item: SweepInput, n: int) -> np.ndarray:
    a = item.arguments
    if item.distribution == "uniform":
        return rng.uniform(a["low"], a["high"], n)
    if item.distribution == "normal":
        return rng.normal(a["mean"], a["sd"], n)
    if item.distribution == "lognormal":
        return rng.lognormal(a["mean"], a["sigma"], n)
    if item.distribution == "triangular":
        return rng.triangular(a["low"], a["mode"], a["high"], n)
    return rng.choice(np.asarray(a["values"], dtype=float), n)


def _inputs(items: Any, method: str, source: str) -> tuple[SweepInput, ...]:
    if not isinstance(items, list) or not items:
        raise ScenarioError(f"{source}: a sweep needs at least one [[input]]")
    out = []
    for n, item in enumerate(items, start=1):
        name = item.get("name")
        if method == "grid":
            if not isinstance(item.get("values"), list) or not item["values"]:
                raise ScenarioError(f"{source}: input {n} ({name}): a grid needs values = [...]")
            out.append(SweepInput(str(name), "grid", {"values": item["values"]}))
            continue
        dist = item.get("distribution")
        if dist not in DISTRIBUTIONS:
            raise ScenarioError(f"{source}: input {n} ({name}): distribution {dist!r} is not "
                                f"one of {', '.join(DISTRIBUTIONS)}")
        missing = [k for k in DISTRIBUTIONS[dist] if k not in item]
        if missing:
            raise ScenarioError(f"{source}: input {n} ({name}): {dist} needs {', '.join(missing)}")
        out.append(SweepInput(str(name), dist, {k: item[k] for k in DISTRIBUTIONS[dist]}))
    return tuple(out)


def parse_sweep(text: str, *, source: str = "<memory>", folder: Path | None = None) -> Sweep:
    """Parse a sweep TOML text (see the module docstring).

    Raises
    ------
    ScenarioError
        Invalid TOML, unknown distribution, missing fields, unknown parameters.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: invalid TOML: {exc}") from None
    head = data.get("sweep", {})
    method = head.get("method", "monte_carlo")
    if method not in ("monte_carlo", "grid"):
        raise ScenarioError(f"{source}: [sweep] method {method!r} is not monte_carlo or grid")
    target = head.get("scenario")
    if not isinstance(target, str):
        raise ScenarioError(f"{source}: [sweep] needs scenario = a preset name or a TOML path")
    path = Path(target)
    if folder is not None and path.suffix == ".toml" and not path.is_absolute():
        target = str(folder / path)
    scenario = _extend(load_scenario(target), data, source, folder)
    inputs = _inputs(data.get("input"), method, source)
    scenario.with_parameters({i.name: 0.0 for i in inputs})  # unknown names raise
    draws = int(head.get("draws", 100))
    if method == "monte_carlo" and draws < 1:
        raise ScenarioError(f"{source}: draws must be at least 1")
    if "gap" in head:
        scenario = replace(scenario, gap=float(head["gap"]))
    return Sweep(
        name=str(head.get("name", Path(source).stem)), scenario=scenario, method=method,
        draws=draws, seed=int(head.get("seed", 0)), inputs=inputs,
        warm_start=bool(head.get("warm_start", True)),
        spec=dict(data),
    )


def _extend(scenario: Scenario, data: dict[str, Any], source: str,
            folder: Path | None) -> Scenario:
    """The scenario with the sweep file's extra parameters and edits appended."""
    if "parameters" not in data and "edit" not in data:
        return scenario
    extra_text = {"scenario": {"name": scenario.name},
                  "parameters": data.get("parameters", {}), "edit": data.get("edit", [])}
    import tomli_w

    extra = parse_scenario(tomli_w.dumps(extra_text), source=source, folder=folder)
    offset = len(scenario.edits)
    edits = tuple(Edit(e.op, e.fields, e.index + offset, None) for e in extra.edits)
    merged = replace(scenario, parameters={**scenario.parameters, **extra.parameters},
                     edits=scenario.edits + edits)
    from steppe.scenario.edits import validate_scenario

    validate_scenario(merged)
    return merged


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep file."""
    file = Path(path)
    if not file.is_file():
        raise ScenarioError(f"sweep file {file} does not exist")
    return parse_sweep(file.read_text(encoding="utf-8"), source=str(file), folder=file.parent)


@dataclass(frozen=True)
class DrawTask:
    """One draw to run: the sweep's scenario, its parameter values and ids."""

    scenario: Scenario
    parameters: dict[str, float]
    draw_id: int
    sweep_id: str
    scenario_hash: str
    warm_start: bool


CHUNK_MAX = 8
"""Most draws sent to a worker in one call."""
WRITE_BATCH = 16
"""Finished draws written to the store in one transaction (at most)."""
WRITE_EVERY_S = 1.0
"""A batch is also written when a draw arrives this long after the batch's first one."""

_WARM: dict[str, Any] = {}  # per worker process: the sweep scenario's own solution


def _warm_result(task: DrawTask) -> Any:
    if not task.warm_start:
        return None
    if task.sweep_id not in _WARM:
        from steppe.scenario.execute import run_scenario

        _WARM.clear()
        _WARM[task.sweep_id] = run_scenario(task.scenario, threads=1).result
    return _WARM[task.sweep_id]


def run_draw(task: DrawTask) -> RunPayload:
    """Run one draw; a failure becomes a failed run record with its reason."""
    import warnings

    from steppe.errors import ConvergenceWarning, SteppeError
    from steppe.scenario.execute import run_payload, run_scenario

    scenario = task.scenario.with_parameters(task.parameters)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            run = run_scenario(scenario, threads=1, warm_start=_warm_result(task))
        return run_payload(run, draw_id=task.draw_id, sweep_id=task.sweep_id)  # type: ignore[no-any-return]
    except (SteppeError, ValueError, ArithmeticError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
    return failed_payload(task.scenario_hash, task.draw_id, error=reason, name=scenario.name,
                          sweep_id=task.sweep_id, parameters=task.parameters)


def pending_tasks(sweep: Sweep, store: RunStore) -> tuple[list[DrawTask], int]:
    """Draws not yet in the store, and how many are done."""
    from steppe.scenario.execute import input_checksums

    checksums = input_checksums(sweep.scenario.base)
    tasks = []
    for draw, values in enumerate(sweep.values()):
        scenario = sweep.scenario.with_parameters(values)
        tasks.append(DrawTask(sweep.scenario, values, draw, sweep.sweep_id,
                              scenario.content_hash(checksums), sweep.warm_start))
    done = store.draws_done([(t.scenario_hash, t.draw_id) for t in tasks])
    return [t for t in tasks if t.draw_id not in done], len(done)


@dataclass
class SweepOutcome:
    """Counts of a sweep run: draws stored now, already stored before, failed now."""

    sweep_id: str
    total: int
    stored: int = 0
    skipped: int = 0
    failed: int = 0


def run_draws(tasks: list[DrawTask]) -> list[RunPayload]:
    """Run a chunk of draws in one worker call (see :func:`run_draw`)."""
    return [run_draw(t) for t in tasks]


def chunks(tasks: list[DrawTask], workers: int) -> list[list[DrawTask]]:
    """Draws grouped for the workers: up to ``CHUNK_MAX`` per call, ≥ 4 calls per worker.

    Fewer, larger calls cut the scheduling and messaging per draw (a Dask scheduler shares
    the cores with the workers); small sweeps keep one draw per call so that every worker
    stays busy.
    """
    size = max(1, min(CHUNK_MAX, len(tasks) // (4 * max(workers, 1))))
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


def _local(tasks: list[DrawTask], workers: int) -> Iterator[RunPayload]:
    if workers <= 1:
        yield from (run_draw(t) for t in tasks)
        return
    # numba's OpenMP threads make fork() unsafe: workers come from a clean fork server
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(run_draws, chunk) for chunk in chunks(tasks, workers)]
        for future in as_completed(futures):
            yield from future.result()


def _dask(tasks: list[DrawTask], address: str, workers: int) -> Iterator[RunPayload]:
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ScenarioError("--dask needs dask[distributed]: pip install 'steppe[dist]'") from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)  # type: ignore[no-untyped-call]
    else:
        client = Client(address)  # type: ignore[no-untyped-call]
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or workers
        futures = client.map(run_draws, chunks(tasks, n_workers), pure=False)
        for future in dask_completed(futures):  # type: ignore[no-untyped-call]
            yield from future.result()
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()


def run_sweep(
    sweep: Sweep,
    store: RunStore,
    *,
    workers: int = 2,
    dask: str | None = None,
    progress: Callable[[SweepOutcome, int], None] | None = None,
) -> SweepOutcome:
    """Run the draws of a sweep that are not stored yet, storing each as it finishes.

    Parameters
    ----------
    sweep
        The sweep.
    store
        Where results go (written by this process only, one transaction per draw).
    workers
        Local processes (or Dask workers of ``dask="local"``).
    dask
        ``None`` for local processes, ``"local"`` for a local Dask cluster, or the address
        of a Dask scheduler.
    progress
        Called with the counts and the number of draws still to run, after each draw.

    Returns
    -------
    SweepOutcome
    """
    tasks, done = pending_tasks(sweep, store)
    store.save_sweep(sweep.sweep_id, sweep.name, sweep.spec, len(tasks) + done)
    outcome = SweepOutcome(sweep.sweep_id, total=len(tasks) + done, skipped=done)
    if progress:
        progress(outcome, len(tasks))
    stream = _local(tasks, workers) if dask is None else _dask(tasks, dask, workers)
    batch: list[RunPayload] = []
    oldest = 0.0

    def flush() -> None:
        for payload, stored in zip(batch, store.save_many(batch), strict=True):
            outcome.stored += int(stored)
            outcome.failed += int(stored and payload.record["status"] == "failed")
        batch.clear()
        if progress:
            progress(outcome, len(tasks) - outcome.stored)

    try:
        for payload in stream:
            oldest = oldest if batch else time.monotonic()
            batch.append(payload)
            if len(batch) >= WRITE_BATCH or time.monotonic() - oldest >= WRITE_EVERY_S:
                flush()
    finally:
        if batch:
            flush()
    return outcome


def sweep_table(store: RunStore, sweep_id: str) -> Any:
    """Metrics of a sweep's runs, wide: one row per draw, parameters and metric columns."""
    long = store.metrics(sweep_id=sweep_id)
    if long.empty:
        return long
    long["column"] = long["metric"] + np.where(long["key"] != "", ":" + long["key"], "")
    wide = long.pivot_table(index="draw_id", columns="column", values="value")
    params = long.drop_duplicates("draw_id").set_index("draw_id")["parameters"].map(json.loads)
    for name in sorted({k for p in params for k in p}):
        wide.insert(0, name, params.map(lambda p, n=name: p.get(n)))
    return wide.sort_index()


def describe_values(values: Mapping[str, float]) -> str:
    """Short text of a draw's parameter values."""
    return ", ".join(f"{k}={v:.4g}" for k, v in values.items())
