"""Assignment benchmark: steppe and AequilibraE side by side, same machine, same run.

Usage: ``python -m benchmarks.run [--networks A,B] [--repeat 3] [--quick]`` (``make bench``).

For every TNTP network, every algorithm is run ``--repeat`` times with 2 threads on each side,
the two tools' repetitions interleaved, and the median is reported. Timed: the assignment only (steppe: the iterations inside
``assign``, graph compilation excluded, as AequilibraE's graph preparation is; AequilibraE:
``execute()``). steppe records the time at which each gap threshold is first reached from
one run to the tightest gap; AequilibraE is run once per threshold, since it reports no
per-iteration times. Writes ``benchmarks/results/assignment.json``, the Markdown table (also printed) to
``assignment.md`` and time-to-gap plots; the load average is recorded, since other work
on the machine inflates every time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
THREADS = 2


@dataclass(frozen=True)
class Case:
    """One benchmark network and the gaps to time on it."""

    name: str
    steppe_algorithms: tuple[str, ...]
    peer_algorithms: tuple[str, ...]
    gaps: tuple[float, ...] = (1e-4, 1e-6)
    peer_gaps: tuple[float, ...] = (1e-4, 1e-6)
    max_iter: int = 2000
    time_limit_s: float = 120.0
    extra: dict[str, Any] = field(default_factory=dict)


CASES = {
    "SiouxFalls": Case(
        "SiouxFalls",
        ("msa", "fw", "cfw", "bfw", "b"),
        ("msa", "fw", "cfw", "bfw"),
        gaps=(1e-4, 1e-6, 1e-10),
    ),
    "Anaheim": Case(
        "Anaheim", ("fw", "cfw", "bfw", "b"), ("fw", "cfw", "bfw"), gaps=(1e-4, 1e-6, 1e-10)
    ),
    "Chicago-Sketch": Case(
        "Chicago-Sketch", ("cfw", "bfw", "b"), ("cfw", "bfw"), gaps=(1e-4, 1e-6, 1e-10)
    ),
    "Berlin-Center": Case(
        "Berlin-Center",
        ("bfw", "b"),
        ("bfw",),
        gaps=(1e-4, 1e-6, 1e-10),
        peer_gaps=(1e-4,),
        time_limit_s=90.0,
    ),
}


def tntp_root() -> Path:
    default = Path(__file__).resolve().parents[2] / "shared" / "tntp"
    return Path(os.environ.get("STEPPE_TNTP_DIR", default))


def has_bush_solver() -> bool:
    try:
        import steppe.assign.bush  # noqa: F401
    except ImportError:
        return False
    return True


def beckmann(flows: np.ndarray, links, toll_factor: float, distance_factor: float) -> float:
    t0 = links["free_flow_time"].to_numpy()
    cap = links["capacity"].to_numpy()
    alpha = links["alpha"].to_numpy()
    beta = links["beta"].to_numpy()
    fixed = toll_factor * links["toll"].to_numpy() + distance_factor * links["length"].to_numpy()
    ratio = np.where(flows > 0, flows / cap, 0.0)
    return float(np.sum(t0 * flows * (1 + alpha / (beta + 1) * ratio**beta) + fixed * flows))


def time_to_gaps(convergence, gaps) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for gap in gaps:
        hit = convergence[convergence["relative_gap"] <= gap]
        out[f"{gap:g}"] = None if hit.empty else float(hit["seconds"].iloc[0])
    return out


def iterations_to_gaps(convergence, gaps) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for gap in gaps:
        hit = convergence[convergence["relative_gap"] <= gap]
        out[f"{gap:g}"] = None if hit.empty else int(hit["iteration"].iloc[0])
    return out


def steppe_gaps(case: Case, algorithm: str) -> tuple[float, ...]:
    """Gaps timed for one steppe algorithm (link-based methods stall long before 1e-10)."""
    if algorithm == "b":
        return case.gaps
    if algorithm in ("bfw", "cfw"):
        return tuple(g for g in case.gaps if g >= 1e-6)
    return case.gaps[:1]


def peer_gaps(case: Case, algorithm: str) -> tuple[float, ...]:
    """Gaps AequilibraE is run to, once each (it reports no per-iteration times)."""
    return case.peer_gaps if algorithm in ("bfw", "cfw") else case.peer_gaps[:1]


def steppe_once(case_data, case: Case, algorithm: str):
    """One steppe solve to the algorithm's tightest timed gap."""
    from steppe.assign import assign

    weights = case_data.readme_weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return assign(
            case_data.network,
            case_data.demand,
            algorithm=algorithm,
            target_gap=min(steppe_gaps(case, algorithm)),
            max_iter=case.max_iter,
            toll_factor=weights.toll or 0.0,
            distance_factor=weights.distance or 0.0,
            threads=THREADS,
            time_limit_s=case.time_limit_s,
        )


def summarize_steppe(runs, case: Case, algorithm: str) -> dict[str, Any]:
    """Medians of the steppe runs' times to each gap (``None`` unless every run got there)."""
    gaps = steppe_gaps(case, algorithm)
    times = [time_to_gaps(r.convergence, gaps) for r in runs]
    median_times = {
        g: (
            statistics.median([t[g] for t in times])
            if all(t[g] is not None for t in times)
            else None
        )
        for g in times[0]
    }
    last = runs[-1]
    return {
        "tool": "steppe",
        "algorithm": algorithm,
        "seconds_to_gap": median_times,
        "iterations_to_gap": iterations_to_gaps(last.convergence, gaps),
        "final_gap": last.relative_gap,
        "objective": last.objective,
        "runs": len(runs),
        "curve": last.convergence[["iteration", "relative_gap", "seconds"]].to_dict(orient="list"),
    }


def peer_once(case_data, algorithm: str, gap: float, case: Case) -> dict[str, Any]:
    """One AequilibraE solve to ``gap``."""
    from benchmarks.peers.aequilibrae_peer import run_aequilibrae

    net = case_data.network
    weights = case_data.readme_weights
    return run_aequilibrae(
        net.links.rename(columns={"from_node_id": "from_node", "to_node_id": "to_node"}),
        case_data.demand.matrix(net.zones["zone_id"].tolist()),
        zones=len(net.zones),
        first_thru_node=int(net.metadata.get("first_thru_node", 1)),
        algorithm=algorithm,
        target_gap=gap,
        max_iter=case.max_iter,
        threads=THREADS,
        toll_factor=weights.toll or 0.0,
        distance_factor=weights.distance or 0.0,
    )


def summarize_peer(case_data, runs_by_gap: dict[float, list], algorithm: str) -> dict[str, Any]:
    """Medians of the AequilibraE runs per gap (``None`` unless every run converged)."""
    weights = case_data.readme_weights
    toll, dist = weights.toll or 0.0, weights.distance or 0.0
    out: dict[str, Any] = {
        "tool": "aequilibrae",
        "algorithm": algorithm,
        "seconds_to_gap": {},
        "iterations_to_gap": {},
    }
    for gap, runs in runs_by_gap.items():
        key = f"{gap:g}"
        ok = all(r["converged"] for r in runs)
        out["seconds_to_gap"][key] = statistics.median(r["seconds"] for r in runs) if ok else None
        out["iterations_to_gap"][key] = runs[-1]["iterations"] if ok else None
        out["objective"] = beckmann(runs[-1]["flows"], case_data.network.links, toll, dist)
        out["final_gap"] = runs[-1]["relative_gap"]
        out["version"] = runs[-1]["version"]
        out["runs"] = len(runs)
        out["curve"] = {
            "iteration": [c[0] for c in runs[-1]["convergence"]],
            "relative_gap": [c[1] for c in runs[-1]["convergence"]],
            "seconds_per_iteration_mean": runs[-1]["seconds"] / max(1, runs[-1]["iterations"]),
        }
    return out


def run_case(case_data, case: Case, steppe_algs, peer_algs, repeat: int) -> list[dict[str, Any]]:
    """Both tools, repetitions interleaved (steppe, then the peer, ``repeat`` times).

    Other work on the machine comes and goes; interleaving makes both tools' medians see
    the same load, so their ratio is fair even when the absolute times are inflated.
    """
    mine: dict[str, list] = {a: [] for a in steppe_algs}
    peer: dict[str, dict[float, list]] = {a: {g: [] for g in peer_gaps(case, a)} for a in peer_algs}
    for r in range(repeat):
        for algorithm in steppe_algs:
            print(f"[bench] {case.name}: steppe {algorithm} ({r + 1}/{repeat})",
                  file=sys.stderr, flush=True)
            mine[algorithm].append(steppe_once(case_data, case, algorithm))
        for algorithm, by_gap in peer.items():
            for gap, runs in by_gap.items():
                print(f"[bench] {case.name}: aequilibrae {algorithm} {gap:g} ({r + 1}/{repeat})",
                      file=sys.stderr, flush=True)
                runs.append(peer_once(case_data, algorithm, gap, case))
    return [summarize_steppe(runs, case, a) for a, runs in mine.items()] + [
        summarize_peer(case_data, by_gap, a) for a, by_gap in peer.items()
    ]


def busiest_road(network, flows: np.ndarray) -> int:
    """Row of the link with the most flow among links that are not centroid connectors.

    A connector (an end at a zone centroid) or a link with zero free-flow time has no
    congestion term worth changing: halving such a capacity changes nothing.
    """
    links = network.links
    centroids = set(network.zones["node_id"].tolist())
    connector = links["from_node_id"].isin(centroids) | links["to_node_id"].isin(centroids)
    road = ~connector.to_numpy() & (links["free_flow_time"].to_numpy() > 0)
    if not road.any():
        raise ValueError(f"{network.name} has no link with a congestion term")
    return int(np.argmax(np.where(road, flows, -np.inf)))


def warm_start_case(case_data, repeat: int, factor: float = 0.5) -> dict[str, Any]:
    """Chicago-Sketch: re-solve B to 1e-10 after scaling the busiest road's capacity.

    ``factor`` 0.5 (halved) is the headline case; a milder change (e.g. 0.9) shows how the
    gain depends on how far the change moves the equilibrium.

    The base problem is solved once; then cold and warm solves of the changed problem
    alternate ``repeat`` times and the medians of their solver times are compared.
    """
    from steppe.assign import assign
    from steppe.model import Network

    weights = case_data.readme_weights
    opts = {
        "algorithm": "b",
        "target_gap": 1e-10,
        "toll_factor": weights.toll or 0.0,
        "distance_factor": weights.distance or 0.0,
        "threads": THREADS,
    }
    base = assign(case_data.network, case_data.demand, **opts)
    links = case_data.network.links.copy()
    row = busiest_road(case_data.network, base.links["flow"].to_numpy())
    before = float(links.loc[row, "capacity"])
    links.loc[row, "capacity"] = before * factor
    changed = Network(
        case_data.network.nodes, links, case_data.network.name, case_data.network.metadata
    )
    cold, warm = [], []
    for _ in range(repeat):
        cold.append(assign(changed, case_data.demand, **opts))
        warm.append(assign(changed, case_data.demand, warm_start=base, **opts))
    cold_s = statistics.median(r.seconds for r in cold)
    warm_s = statistics.median(r.seconds for r in warm)
    flows_before = float(base.links["flow"].iloc[row])
    flows_after = float(warm[-1].links["flow"].iloc[row])
    return {
        "changed_link_id": int(links.loc[row, "link_id"]),
        "changed_link": f"{int(links.loc[row, 'from_node_id'])}->{int(links.loc[row, 'to_node_id'])}",
        "capacity_before": before,
        "capacity_after": before * factor,
        "flow_before": flows_before,
        "flow_after": flows_after,
        "cold_seconds": cold_s,
        "warm_seconds": warm_s,
        "cold_iterations": cold[-1].iterations,
        "warm_iterations": warm[-1].iterations,
        "cold_sweeps": float(cold[-1].convergence["step"].sum()),
        "warm_sweeps": float(warm[-1].convergence["step"].sum()),
        "cold_gap": cold[-1].relative_gap,
        "warm_gap": warm[-1].relative_gap,
        "runs": repeat,
        "speedup": cold_s / warm_s,
    }


def warm_start_summary(w: dict[str, Any]) -> str:
    """One paragraph on the warm-start case, as printed."""
    return (
        f"warm start (Chicago-Sketch, B to 1e-10): link {w['changed_link_id']} "
        f"({w['changed_link']}), capacity {w['capacity_before']:g} -> {w['capacity_after']:g}, "
        f"flow {w['flow_before']:.1f} -> {w['flow_after']:.1f}; "
        f"cold {w['cold_seconds']:.3f} s ({w['cold_iterations']} it., "
        f"{w['cold_sweeps']:.1f} sweeps), warm {w['warm_seconds']:.3f} s "
        f"({w['warm_iterations']} it., {w['warm_sweeps']:.1f} sweeps), "
        f"medians of {w['runs']}: {w['speedup']:.1f}x faster"
    )


def machine() -> dict[str, Any]:
    import numba

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "numba": numba.__version__,
        "threads_each": THREADS,
        "load_average_before": os.getloadavg(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def ratio(peer: dict[str, Any] | None, mine: dict[str, Any], gap: str) -> str:
    if not peer:
        return ""
    p, s = peer["seconds_to_gap"].get(gap), mine["seconds_to_gap"].get(gap)
    return f"{p / s:.1f}×" if p and s else ""


def markdown(results: dict[str, Any]) -> str:
    rows = [
        "| network | tool | algorithm | gap | seconds (median) | iterations | objective | peer BFW / this |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entries in results["networks"].items():
        peer_bfw = next(
            (e for e in entries if e["tool"] == "aequilibrae" and e["algorithm"] == "bfw"), None
        )
        for e in entries:
            for gap, sec in e["seconds_to_gap"].items():
                it = e["iterations_to_gap"].get(gap)
                same = next(
                    (
                        p
                        for p in entries
                        if p["tool"] == "aequilibrae" and p["algorithm"] == e["algorithm"]
                    ),
                    None,
                )
                peer = peer_bfw if e["tool"] == "steppe" else None
                rel = ratio(peer, e, gap) if peer else ""
                if same and e["tool"] == "steppe" and same is not peer_bfw:
                    rel += f" (same alg. {ratio(same, e, gap)})"
                rows.append(
                    f"| {name} | {e['tool']} | {e['algorithm']} | {gap} | "
                    f"{'—' if sec is None else f'{sec:.3f}'} | {it if it is not None else '—'} | "
                    f"{e.get('objective', float('nan')):.10g} | {rel} |"
                )
    return "\n".join(rows)


def plot_curves(results: dict[str, Any]) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    for name, entries in results["networks"].items():
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for e in entries:
            curve = e.get("curve") or {}
            gaps = [g for g in curve.get("relative_gap", []) if g and g > 0 and np.isfinite(g)]
            if not gaps:
                continue
            if "seconds" in curve:
                xs = curve["seconds"][-len(gaps) :]
            else:  # AequilibraE reports no per-iteration times: spread its total evenly
                step = curve["seconds_per_iteration_mean"]
                xs = [step * i for i in curve["iteration"]][-len(gaps) :]
            ax.plot(xs, gaps, label=f"{e['tool']} {e['algorithm']}")
        ax.set_yscale("log")
        ax.set_xlabel("seconds (AequilibraE: total / iterations)")
        ax.set_ylabel("relative gap")
        ax.set_title(f"{name}: time to gap (2 threads each)")
        ax.legend()
        path = RESULTS / f"time-to-gap-{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(str(path))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default=",".join(CASES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true", help="steppe only")
    parser.add_argument("--algorithms", default="", help="only these (comma-separated), both sides")
    args = parser.parse_args(argv)
    from steppe.io.tntp import read_tntp_folder

    root = tntp_root()
    if not root.is_dir():
        print(f"TNTP networks not found at {root}; set STEPPE_TNTP_DIR", file=sys.stderr)
        return 2
    bush = has_bush_solver()
    results: dict[str, Any] = {"machine": machine(), "networks": {}}
    warm_up = read_tntp_folder(root / "SiouxFalls")
    steppe_once(warm_up, CASES["SiouxFalls"], "bfw")  # load the numba cache outside timings
    only = set(filter(None, args.algorithms.split(",")))
    for name in args.networks.split(","):
        case = CASES[name]
        data = read_tntp_folder(root / name)
        steppe_algs = [
            a for a in case.steppe_algorithms
            if (not only or a in only) and (a != "b" or bush)
        ]
        peer_algs = [] if args.no_peer else [
            a for a in case.peer_algorithms if not only or a in only
        ]
        results["networks"][name] = run_case(data, case, steppe_algs, peer_algs, args.repeat)
        if name == "Chicago-Sketch" and bush and (not only or "b" in only):
            print("[bench] Chicago-Sketch: warm start", file=sys.stderr, flush=True)
            results["warm_start"] = warm_start_case(data, args.repeat)
            results["warm_start_mild"] = warm_start_case(data, args.repeat, factor=0.9)
    RESULTS.mkdir(exist_ok=True)
    results["plots"] = plot_curves(results)
    results["machine"]["load_average_after"] = os.getloadavg()
    (RESULTS / "assignment.json").write_text(json.dumps(results, indent=1, default=float))
    report = markdown(results)
    for key in ("warm_start", "warm_start_mild"):
        if key in results:
            report += "\n\n" + warm_start_summary(results[key])
    load = results["machine"]
    report += (
        f"\n\nload average (1, 5, 15 min) before: {load['load_average_before']}, "
        f"after: {load['load_average_after']} on {load['cores']} cores"
    )
    (RESULTS / "assignment.md").write_text(report + "\n")
    print(report)
    print(f"\nwrote {RESULTS / 'assignment.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
