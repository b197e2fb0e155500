"""Scenario benchmarks: criticality of eurasia, a Monte Carlo sweep locally and on Dask.

Not a test: prints a table and writes JSON. Run on the target machine (2 cores):

    .venv/bin/python -m benchmarks.scenarios --draws 1000 --dask

The scenarios run with the model's own route choice (logit SUE for the commodities with a
dispersion, hard capacities) unless ``--deterministic``. The load average at the start and
end is recorded with the figures (timings on a shared machine are inflated by other work).

The sweep varies the Zamyn-Üüd–Erenhot dwell and the SCO border factors of the ``sco``
preset (Monte Carlo, seeded). ``--dask`` also runs the sweep on a local Dask cluster with
the same number of workers and reports throughput per worker against the local executor.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

SWEEP = """
[sweep]
name = "bench"
scenario = "sco"
method = "monte_carlo"
draws = {draws}
seed = {seed}
gap = {gap}

[[input]]
name = "dwell_factor"
distribution = "triangular"
low = 0.5
mode = 0.7
high = 1.0

[[input]]
name = "fee_factor"
distribution = "uniform"
low = 0.25
high = 1.0
"""


def _spec(scenario: str, gap: float, deterministic: bool) -> Any:
    from steppe.scenario.spec import load_scenario

    spec = replace(load_scenario(scenario), gap=gap)
    return replace(spec, route_choice="deterministic") if deterministic else spec


def bench_critical(scenario: str, gap: float, workers: int,
                   deterministic: bool) -> dict[str, object]:
    from steppe.scenario.critical import criticality, loaded_elements
    from steppe.scenario.execute import run_scenario
    spec = _spec(scenario, gap, deterministic)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = run_scenario(spec)
        solve = time.perf_counter() - start
        elements = loaded_elements(run)
        table = criticality(run, workers=workers)
    total = time.perf_counter() - start
    return {
        "benchmark": "criticality", "scenario": scenario, "gap": gap, "workers": workers,
        "elements": len(elements),
        "crossings": int((elements["element"] == "crossing").sum()),
        "links": int((elements["element"] == "link").sum()),
        "seconds_base_solve": round(solve, 2), "seconds_total": round(total, 2),
        "converged": int(table["converged"].sum()),
        "median_closure_seconds": round(float(table["seconds"].median()), 3),
        "route_choice": spec.route_choice,
        "top": table.head(5)[["element", "element_id", "name", "extra_cost_usd",
                              "extra_unserved"]].to_dict("records"),
    }


def bench_sweep(draws: int, gap: float, workers: int, dask: str | None,
                deterministic: bool) -> dict[str, object]:
    from steppe.scenario.store import RunStore
    from steppe.scenario.sweep import load_sweep, run_sweep

    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "sweep.toml"
        text = SWEEP.format(draws=draws, seed=1, gap=gap)
        spec.write_text(text, encoding="utf-8")
        sweep = load_sweep(spec)
        if deterministic:
            sweep = replace(sweep, scenario=replace(sweep.scenario, route_choice="deterministic"))
        with RunStore(Path(folder) / "bench.duckdb") as store:
            start = time.perf_counter()
            outcome = run_sweep(sweep, store, workers=workers, dask=dask)
            seconds = time.perf_counter() - start
    return {
        "benchmark": "sweep", "executor": dask or "local processes", "draws": draws,
        "gap": gap, "workers": workers, "stored": outcome.stored, "failed": outcome.failed,
        "route_choice": sweep.scenario.route_choice,
        "seconds": round(seconds, 2), "draws_per_second": round(outcome.stored / seconds, 3),
        "draws_per_second_per_worker": round(outcome.stored / seconds / workers, 3),
    }


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--gap", type=float, default=1e-5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-critical", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--deterministic", action="store_true",
                        help="deterministic route choice instead of the model's logit SUE")
    parser.add_argument("--dask", action="store_true", help="also run the sweep on local Dask")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/scenarios.json"))
    args = parser.parse_args()
    load_start = _load()
    rows: list[dict[str, Any]] = []
    if not args.skip_critical:
        rows.append(bench_critical("baseline", args.gap, args.workers, args.deterministic))
        print(json.dumps(rows[-1], default=str), flush=True)
    if not args.skip_sweep:
        rows.append(bench_sweep(args.draws, args.gap, args.workers, None, args.deterministic))
        print(json.dumps(rows[-1]), flush=True)
    if args.dask and not args.skip_sweep:
        rows.append(bench_sweep(args.draws, args.gap, args.workers, "local", args.deterministic))
        print(json.dumps(rows[-1]), flush=True)
        local, dask = rows[-2], rows[-1]
        rows[-1]["dask_over_local_per_worker"] = round(
            dask["draws_per_second_per_worker"] / local["draws_per_second_per_worker"], 3)
    print(f"load average (1, 5, 15 min) at start {load_start}, at end {_load()}")
    print(f"{'benchmark':<12} {'seconds':>9}  details")
    for row in rows:
        seconds = row.get("seconds", row.get("seconds_total"))
        print(f"{row['benchmark']:<12} {seconds:>9}  "
              + ", ".join(f"{k}={v}" for k, v in row.items()
                          if k not in ("benchmark", "seconds", "seconds_total", "top")))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cpu_count": os.cpu_count(), "load_start": load_start,
                                    "load_end": _load(), "rows": rows}, indent=2, default=str))


if __name__ == "__main__":
    main()
