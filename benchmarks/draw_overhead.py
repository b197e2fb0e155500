"""Per-draw overhead of a sweep around the assignment: build and summary of a scenario.

Not a test: prints a table and writes JSON. Times ``build_scenario`` on draws of the
``sco`` Monte Carlo sweep (``benchmarks.scenarios.SWEEP``) and ``scenario_summary`` +
``run_payload`` on a few of them solved (deterministic route choice); medians of repeats,
since the machine may be shared:

    .venv/bin/python -m benchmarks.draw_overhead
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any


def _median_seconds(work: Callable[[], Sequence[Any]], repeats: int) -> float:
    """Median over ``repeats`` of the wall time per item of ``work`` (seconds)."""
    work()  # warm caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        n = len(work())
        times.append((time.perf_counter() - start) / n)
    return statistics.median(times)


def main() -> None:
    from benchmarks.scenarios import SWEEP, _load
    from steppe.scenario import execute as ex
    from steppe.scenario.sweep import parse_sweep

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10, help="draws built per repeat")
    parser.add_argument("--solved", type=int, default=3, help="draws solved and summarised")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/draw_overhead.json"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    load_start = _load()
    sweep = parse_sweep(SWEEP.format(draws=max(args.draws, args.solved), seed=1, gap=1e-5))
    draws = [sweep.scenario.with_parameters(v) for v in sweep.values()[: args.draws]]
    runs = [ex.run_scenario(replace(s, route_choice="deterministic"), threads=1)
            for s in draws[: args.solved]]
    row = {
        "build_scenario_s": _median_seconds(lambda: [ex.build_scenario(s) for s in draws],
                                            args.repeats),
        "summary_and_payload_s": _median_seconds(
            lambda: [ex.run_payload(r) for r in runs], args.repeats),
        "draws": args.draws, "solved": args.solved, "repeats": args.repeats,
    }
    print(f"load average (1, 5, 15 min) at start {load_start}, at end {_load()}")
    print(f"{'per draw':<34} {'seconds':>9}")
    print(f"{'build_scenario':<34} {row['build_scenario_s']:>9.4f}")
    print(f"{'scenario_summary + run_payload':<34} {row['summary_and_payload_s']:>9.4f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cpu_count": os.cpu_count(), "load_start": load_start,
                                    "load_end": _load(), "rows": [row]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
