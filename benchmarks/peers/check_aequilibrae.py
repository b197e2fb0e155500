"""Sanity check of the AequilibraE peer against TNTP best-known solutions.

Runs ``run_aequilibrae`` on SiouxFalls and Chicago-Sketch (BFW, rgap 1e-4) and compares
the returned flows, in input-row order, with the best-known ``*_flow.tntp`` flows:
Beckmann objective of both flow vectors, max relative flow error on the links carrying
more than 1% of the maximum best-known flow, and an independent relative gap computed
here with SciPy shortest paths (standard definition: ``(sum c*x - sum d*SP) / sum c*x``
at the returned flows).  Then times Berlin-Center (no best-known flows).

Usage::

    /work/main/.venv/bin/python benchmarks/peers/check_aequilibrae.py [--tntp DIR]
        [--threads 2] [--skip-berlin]

Self-contained: its own minimal TNTP parser, no steppe import.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.peers.aequilibrae_peer import run_aequilibrae

NET_COLS = [
    "init_node",
    "term_node",
    "capacity",
    "length",
    "free_flow_time",
    "b",
    "power",
    "speed",
    "toll",
    "link_type",
]


# ----------------------------------------------------------------------------- parsing
def _metadata(text: str) -> dict[str, str]:
    return {k.strip().upper(): v.strip() for k, v in re.findall(r"<([^>]+)>([^<\n]*)", text)}


def read_net(path: Path) -> tuple[pd.DataFrame, int, int]:
    text = path.read_text()
    meta = _metadata(text.split("<END OF METADATA>")[0])
    zones = int(meta["NUMBER OF ZONES"])
    first_thru = int(meta["FIRST THRU NODE"])
    rows = []
    for line in text.split("<END OF METADATA>", 1)[1].splitlines():
        line = line.strip()
        if not line or line.startswith("~"):
            continue
        fields = line.replace(";", " ").split()
        rows.append([float(x) for x in fields[:10]])
    df = pd.DataFrame(rows, columns=NET_COLS)
    links = pd.DataFrame(
        {
            "from_node": df.init_node.astype(np.int64),
            "to_node": df.term_node.astype(np.int64),
            "capacity": df.capacity,
            "free_flow_time": df.free_flow_time,
            "length": df.length,
            "toll": df.toll,
            "alpha": df.b,
            "beta": df.power,
        }
    )
    return links, zones, first_thru


def read_trips(path: Path, zones: int) -> np.ndarray:
    text = path.read_text().split("<END OF METADATA>", 1)[1]
    demand = np.zeros((zones, zones), dtype=np.float64)
    for block in re.split(r"Origin\s+", text)[1:]:
        head, _, body = block.partition("\n")
        o = int(head.split()[0])
        for d, v in re.findall(r"(\d+)\s*:\s*([-+0-9.eE]+)", body):
            demand[o - 1, int(d) - 1] += float(v)
    return demand


def read_flow(path: Path, links: pd.DataFrame) -> np.ndarray:
    df = pd.read_csv(path, sep=r"\s+", skipinitialspace=True)
    df.columns = [c.strip().lower() for c in df.columns]
    ft = df[["from", "to"]].to_numpy(dtype=np.int64)
    ours = links[["from_node", "to_node"]].to_numpy(dtype=np.int64)
    if ft.shape == ours.shape and np.array_equal(ft, ours):
        return np.asarray(df["volume"].to_numpy(dtype=np.float64))
    # different order: map by (from, to); parallel links would be ambiguous
    key = dict(zip(map(tuple, ft), df["volume"].to_numpy(dtype=np.float64), strict=True))
    if len(key) != len(ft):
        raise ValueError("flow file order differs and has parallel links")
    return np.array([key[tuple(k)] for k in ours])


# ----------------------------------------------------------------------------- measures
def link_cost(links: pd.DataFrame, x: np.ndarray, tf: float, df_: float) -> np.ndarray:
    t0 = links.free_flow_time.to_numpy()
    c = links.capacity.to_numpy()
    a = links.alpha.to_numpy()
    b = links.beta.to_numpy()
    fixed = tf * links.toll.to_numpy() + df_ * links.length.to_numpy()
    return np.asarray(t0 * (1.0 + a * (x / c) ** b) + fixed, dtype=np.float64)


def beckmann(links: pd.DataFrame, x: np.ndarray, tf: float, df_: float) -> float:
    t0 = links.free_flow_time.to_numpy()
    c = links.capacity.to_numpy()
    a = links.alpha.to_numpy()
    b = links.beta.to_numpy()
    fixed = tf * links.toll.to_numpy() + df_ * links.length.to_numpy()
    return float(np.sum(t0 * x * (1.0 + a / (b + 1.0) * (x / c) ** b) + fixed * x))


def standard_rgap(
    links: pd.DataFrame,
    demand: np.ndarray,
    zones: int,
    first_thru: int,
    x: np.ndarray,
    tf: float,
    df_: float,
) -> float:
    """(sum c*x - sum_od d*SP) / sum c*x, with zone pass-through blocking if required.

    Blocking: a zone node z < first_thru is split into an "in" copy (node z, receives the
    links ending at z) and an "out" copy (node N + z, emits the links starting at z); paths
    go from out-copies to in-copies and so cannot pass through a zone.
    """
    cost = link_cost(links, x, tf, df_)
    a = links.from_node.to_numpy() - 1
    b = links.to_node.to_numpy() - 1
    n = int(max(a.max(), b.max())) + 1
    src = a.copy()
    sources = np.arange(zones)
    if first_thru > 1:
        blocked = a < first_thru - 1
        src[blocked] = n + a[blocked]
        sources = n + np.arange(zones)
        n_all = 2 * n
    else:
        n_all = n
    # parallel links: keep the cheapest (csr_matrix would sum duplicates)
    order = np.lexsort((cost, b, src))
    s_, b_, c_ = src[order], b[order], cost[order]
    first = np.ones(len(s_), dtype=bool)
    first[1:] = (s_[1:] != s_[:-1]) | (b_[1:] != b_[:-1])
    # explicit zeros would be dropped by csgraph; use a tiny positive stand-in
    w = np.maximum(c_[first], 1e-300)
    g = csr_matrix((w, (s_[first], b_[first])), shape=(n_all, n_all))
    sp = dijkstra(g, directed=True, indices=sources)[:, :zones]
    mask = demand > 0
    sptt = float(np.sum(demand[mask] * sp[mask]))
    tstt = float(np.sum(cost * x))
    return (tstt - sptt) / tstt


# ----------------------------------------------------------------------------- runs
def find(folder: Path, suffix: str) -> Path:
    hits = sorted(p for p in folder.iterdir() if p.name.lower().endswith(suffix))
    if not hits:
        raise FileNotFoundError(f"no *{suffix} in {folder}")
    return hits[0]


def check(folder: Path, tf: float, df_: float, threads: int, compare: bool) -> None:
    links, zones, first_thru = read_net(find(folder, "_net.tntp"))
    demand = read_trips(find(folder, "_trips.tntp"), zones)
    print(
        f"\n=== {folder.name}: {len(links)} links, {zones} zones, first thru node "
        f"{first_thru}, demand {demand.sum():,.1f}, toll_factor {tf}, "
        f"distance_factor {df_}"
    )
    r = run_aequilibrae(
        links,
        demand,
        zones=zones,
        first_thru_node=first_thru,
        algorithm="bfw",
        target_gap=1e-4,
        max_iter=1000,
        threads=threads,
        toll_factor=tf,
        distance_factor=df_,
    )
    x = r["flows"]
    print(
        f"AequilibraE {r['version']} {r['algorithm']} threads={r['threads']} "
        f"blocked_centroids={r['blocked_centroids']}"
    )
    print(f"  iterations           {r['iterations']}")
    print(f"  execute() seconds    {r['seconds']:.3f}")
    print(
        f"  graph setup seconds  {r['setup_seconds']:.3f}  "
        f"(other setup {r['assignment_setup_seconds']:.3f})"
    )
    print(f"  AequilibraE rgap     {r['relative_gap']:.3e}  converged={r['converged']}")
    sg = standard_rgap(links, demand, zones, first_thru, x, tf, df_)
    print(f"  standard rgap (ours) {sg:.3e}   [(TSTT-SPTT)/TSTT at returned flows]")
    obj = beckmann(links, x, tf, df_)
    print(f"  Beckmann objective   {obj:.10g}")
    n_nodes = int(max(links.from_node.max(), links.to_node.max()))
    net = np.bincount(links.from_node - 1, weights=x, minlength=n_nodes) - np.bincount(
        links.to_node - 1, weights=x, minlength=n_nodes
    )
    expected = np.zeros(n_nodes)
    off = demand - np.diag(np.diag(demand))
    expected[:zones] = off.sum(axis=1) - off.sum(axis=0)
    print(
        f"  flow conservation: max |node imbalance| {np.abs(net - expected).max():.2e} "
        f"(demand off-diagonal {off.sum():,.1f})"
    )
    if r["log"]:
        print(f"  AequilibraE log: {r['log']}")
    if not compare:
        return
    best = read_flow(find(folder, "_flow.tntp"), links)
    obj_best = beckmann(links, best, tf, df_)
    sg_best = standard_rgap(links, demand, zones, first_thru, best, tf, df_)
    big = best > 0.01 * best.max()
    rel = np.abs(x[big] - best[big]) / best[big]
    i = int(np.argmax(rel))
    link_idx = np.flatnonzero(big)[i]
    print(
        f"  best-known objective {obj_best:.10g}  (rel diff "
        f"{(obj - obj_best) / obj_best:+.2e});  best-known standard rgap {sg_best:.2e}"
    )
    print(
        f"  max rel flow error on {big.sum()} links with flow > 1% of max: {rel.max():.3e} "
        f"(row {link_idx}: {links.from_node[link_idx]}->{links.to_node[link_idx]}, "
        f"ours {x[link_idx]:.2f} vs best {best[link_idx]:.2f}); mean {rel.mean():.2e}"
    )
    # an alignment sanity check: a permuted flow vector would be far off
    rng = np.random.default_rng(0)
    shuffled = beckmann(links, rng.permutation(x), tf, df_)
    print(f"  (objective of randomly permuted flows for reference: {shuffled:.6g})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tntp", type=Path, default=Path("/work/shared/tntp"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-berlin", action="store_true")
    args = ap.parse_args()
    check(args.tntp / "SiouxFalls", 0.0, 0.0, args.threads, compare=True)
    check(args.tntp / "Chicago-Sketch", 0.02, 0.04, args.threads, compare=True)
    if not args.skip_berlin:
        check(args.tntp / "Berlin-Center", 0.0, 0.0, args.threads, compare=False)


if __name__ == "__main__":
    main()
