"""Calibration of the eurasia base year against calibration-targets.md (D1–D5, C1–C6).

:func:`calibration_table` runs (or takes) a base-year solution and returns one row per target
figure: ``target``, ``figure``, ``observed``, ``modelled``, ``error``, ``tolerance``, ``ok``.
:func:`tune_parameters` is the reproducible search that set the two free parameters: the
logit dispersion θ of containers (A085) and the share of the Xinjiang gauge-change exchange
left to China–Europe container trains (``container_lane_share``, A089). It is a fixed grid,
each point an SUE solve from scratch (a warm start would carry the previous point's grown
penalty weights and slow it down), scored by the C1 squared error, ties broken by the
larger share (fewer trains assumed to be taken by others) and then the smaller θ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from steppe.analysis import china_europe_route_shares, crossing_table, route_cost
from steppe.assign import AssignmentConfig, AssignmentResult, assign
from steppe.model.corridor import CorridorBuild, CorridorModel, build_assignment
from steppe.scenario.runner import class_costs

C1_TARGETS: dict[str, tuple[tuple[str, ...], float]] = {
    "Xinjiang (Alashankou + Khorgos)": (("Alashankou", "Khorgos"), 0.535),
    "Manzhouli": (("Manzhouli",), 0.30),
    "Erenhot": (("Erenhot",), 0.17),
    "Suifenhe": (("Suifenhe",), 0.04),
}
"""C1 point targets (shares of China–Europe trains); ±0.05 each. Xinjiang is "over 50%":
0.535, the middle of the 52–55% the issue suggests, is the point target."""
THETA_GRID: tuple[float, ...] = (0.0025, 0.005, 0.01, 0.02)
"""Container dispersions (1/h) tried by :func:`tune_parameters`."""
LANE_SHARE_GRID: tuple[float, ...] = (0.4, 0.5, 0.6, 0.7)
"""Shares of the Xinjiang exchange left to China–Europe containers tried by
:func:`tune_parameters` (applied to every crossing that has a ``container_lane_share``)."""
EUROPE = frozenset({"RU", "BY", "PL", "DE", "FR", "NL"})


@dataclass(frozen=True)
class Solved:
    """A base-year build and its assignment."""

    build: CorridorBuild
    result: AssignmentResult


def solve(
    model: CorridorModel,
    *,
    dispersion: dict[str, float | None] | None = None,
    target_gap: float = 1e-6,
    warm_start: AssignmentResult | None = None,
    build: CorridorBuild | None = None,
) -> Solved:
    """Solve the base year, optionally overriding commodity dispersions (1/h)."""
    build = build or build_assignment(model)
    costs = class_costs(build)
    if dispersion:
        commodity = dict(
            zip(build.classes["demand_class"], build.classes["commodity"], strict=True)
        )
        costs = {
            name: replace(c, dispersion=dispersion.get(commodity[name], c.dispersion))
            for name, c in costs.items()
        }
    config = AssignmentConfig(target_gap=target_gap, max_iter=20_000, class_costs=costs)
    return Solved(build, assign(build.network, build.demand, config, warm_start=warm_start))


def c1_shares(solved: Solved) -> dict[str, float]:
    """Modelled C1 shares by target group."""
    table = china_europe_route_shares(solved.result, solved.build)
    share = dict(zip(table["port"], table["share"], strict=True))
    return {name: sum(share.get(p, 0.0) for p in ports) for name, (ports, _) in C1_TARGETS.items()}


def c1_score(shares: dict[str, float]) -> float:
    """Sum of squared share errors against the C1 point targets."""
    return sum((shares[name] - target) ** 2 for name, (_, target) in C1_TARGETS.items())


def with_lane_share(model: CorridorModel, share: float) -> CorridorModel:
    """The model with ``share`` as ``container_lane_share`` of every crossing that has one.

    Parameters
    ----------
    model
        A corridor model.
    share
        Part (0, 1] of a crossing's container-train exchange left to the modelled
        container demand.
    """
    crossings = model.crossings.copy()
    column = crossings.get("container_lane_share")
    if column is None:
        return model
    has_share = column.fillna("").astype(str).str.strip() != ""
    crossings["container_lane_share"] = column.astype(object).where(~has_share, str(share))
    return replace(model, crossings=crossings)


def tune_parameters(
    model: CorridorModel,
    *,
    thetas: Sequence[float] = THETA_GRID,
    shares: Sequence[float] = LANE_SHARE_GRID,
    target_gap: float = 1e-4,
) -> tuple[dict[str, float], pd.DataFrame]:
    """Grid search of the container dispersion θ (1/h) and lane share against C1.

    Deterministic: every (share, θ) point is solved from scratch and scored by
    :func:`c1_score`; ties go to the larger share, then the smaller θ.

    Returns
    -------
    (best ``{"theta_per_hour", "container_lane_share"}``, table of ``container_lane_share``,
    ``theta_per_hour``, the four C1 shares and ``score``)
    """
    rows = []
    for share in shares:
        variant = with_lane_share(model, share)
        build = build_assignment(variant)
        for theta in thetas:
            solved = solve(
                variant, dispersion={"container": theta}, target_gap=target_gap, build=build
            )
            found = c1_shares(solved)
            rows.append({"container_lane_share": share, "theta_per_hour": theta, **found,
                         "score": c1_score(found)})  # fmt: skip
    table = pd.DataFrame(rows)
    best = table.assign(neg_share=-table["container_lane_share"]).sort_values(
        ["score", "neg_share", "theta_per_hour"], kind="stable"
    )
    top = best.iloc[0]
    chosen = {
        "theta_per_hour": float(top["theta_per_hour"]),
        "container_lane_share": float(top["container_lane_share"]),
    }
    return chosen, table


def _row(target: str, figure: str, observed: Any, modelled: float, tolerance: float,
         *, relative: bool = False, unit: str = "") -> dict[str, Any]:  # fmt: skip
    obs = float(observed)
    error = modelled - obs
    scale = abs(obs) if relative and obs else 1.0
    ok = bool(math.isfinite(modelled) and abs(error) / scale <= tolerance + 1e-12)
    return {
        "target": target, "figure": figure, "unit": unit, "observed": obs,
        "modelled": modelled, "error": error,
        "tolerance": f"±{tolerance:.0%}" if relative else f"±{tolerance:g}", "ok": ok,
    }  # fmt: skip


def _demand(build: CorridorBuild) -> pd.DataFrame:
    d = build.demand.table.merge(build.classes, on="demand_class")
    return d.assign(units=d["volume"] * d["units_per_assignment_unit"])


def demand_rows(build: CorridorBuild) -> list[dict[str, Any]]:
    """D1–D5: the OD matrix reproduces the demand inputs (±1%)."""
    d = _demand(build)
    ce = (d["commodity"] == "container") & (
        ((d["origin_country"] == "CN") & d["destination_country"].isin(EUROPE))
        | ((d["destination_country"] == "CN") & d["origin_country"].isin(EUROPE))
    )
    coal = (d["commodity"] == "coal") & (d["origin_country"] == "MN")
    gas = (d["commodity"] == "natural_gas") & (d["destination_country"] == "CN")
    crude = (d["commodity"] == "crude_oil") & (d["destination_country"] == "CN")
    imports = (d["destination_country"] == "MN") & d["commodity"].isin(
        ["general_cargo", "container"]
    )
    cn_share = d.loc[imports & (d["origin_country"] == "CN"), "volume"].sum() / max(
        d.loc[imports, "volume"].sum(), 1e-9
    )
    return [
        _row("D1", "China–Europe containers", 1.90e6, d.loc[ce, "units"].sum(), 0.01,
             relative=True, unit="TEU/yr"),
        _row("D2", "Mongolian coal exports", 66.7e6, d.loc[coal, "units"].sum(), 0.01,
             relative=True, unit="t/yr"),
        _row("D3", "Power of Siberia 1 gas", 22.73, d.loc[gas, "units"].sum(), 0.01,
             relative=True, unit="bcm/yr"),
        _row("D4", "Russian pipeline crude to China", 40e6, d.loc[crude, "units"].sum(), 0.01,
             relative=True, unit="t/yr"),
        _row("D5", "China share of Mongolian non-fuel imports", 0.405, cn_share, 0.01,
             relative=True, unit="share (t)"),
    ]  # fmt: skip


def _crossing(build: CorridorBuild, crossing_id: int) -> pd.Series:
    c = build.model.crossings
    return c[c["crossing_id"].astype(int) == crossing_id].iloc[0]


def border_rows(build: CorridorBuild, result: AssignmentResult) -> list[dict[str, Any]]:
    """C2 (dwell hours), C3 (processing capacities) and C4 (costs) as model inputs."""
    links = build.network.links
    zu = _crossing(build, 4)
    nau = _crossing(build, 1)
    dwell_zu = (float(zu["dwell_hours_ab"]) + float(zu["dwell_hours_ba"])) / 2
    yards = links[(links["element"] == "transshipment") & (links["element_id"] == 4)]
    payload = float(zu.get("train_payload_t") or build.model.parameters.train_payload_t)
    per_day = yards.set_index("layer")["hard_capacity"] / (payload * 365)
    lane = links[(links["element"] == "crossing") & (links["element_id"] == 1)
                 & (links.get("lane") == "container")]  # fmt: skip
    transit = float(lane["hard_capacity"].max()) / (build.model.parameters.train_payload_t * 365)
    mn_rail = links[(links["element"] == "link") & (links["mode"] == "rail")
                    & (links["country"] == "MN")].iloc[0]  # fmt: skip
    mn_road = links[(links["element"] == "link") & (links["mode"] == "road")
                    & (links["country"] == "MN")].iloc[0]  # fmt: skip
    per = 500 * 20 / 1.0
    coal = (
        "money_" + build.classes.loc[build.classes["commodity"] == "coal", "demand_class"].iloc[0]
    )
    rail_cost = float(mn_rail[coal]) / float(mn_rail["length"]) * per
    road_cost = float(mn_road[coal]) / float(mn_road["length"]) * per
    speed = float(mn_rail["length"]) / float(mn_rail["free_flow_time"])
    teu = build.classes.loc[build.classes["commodity"] == "container"].iloc[0]
    gauge = yards[teu["money_column"]].max() / teu["units_per_assignment_unit"]
    tcd = _crossing_time(build, result, 4)
    return [
        _row("C2", "Zamyn-Üüd rail dwell, mean of directions (2023)", 31.0, dwell_zu, 0.5,
             unit="h"),
        _row("C2", "Mongolian rail crossing outbound, Naushki (2023)", 6.26,
             float(nau["dwell_hours_ba"]), 0.05, unit="h"),
        _row("C2", "Mongolian rail crossing inbound, Naushki (2023)", 22.39,
             float(nau["dwell_hours_ab"]), 0.05, unit="h"),
        _row("C2", "TCD output: Zamyn-Üüd–Erenhot rail time incl. queue, mean", 31.0, tcd, 0.5,
             unit="h"),
        _row("C3", "Erenhot processing (MN→CN yard)", 20, float(per_day.get("rail_1435", np.nan)),
             0.5, unit="trains/day"),
        _row("C3", "Zamyn-Üüd processing (CN→MN yard)", 7, float(per_day.get("rail_1520", np.nan)),
             0.5, unit="trains/day"),
        _row("C3", "UBTZ transit trains (container lane at Naushki)", 4, transit, 0.5,
             unit="trains/day"),
        _row("C4", "Mongolian rail cost", 440, rail_cost, 0.01, relative=True,
             unit="USD/500 km/20 t"),
        _row("C4", "Mongolian road cost", 1455, road_cost, 0.01, relative=True,
             unit="USD/500 km/20 t"),
        _row("C4", "Mongolian rail speed without delay", 21.2, speed, 0.01, relative=True,
             unit="km/h"),
        _row("C4", "gauge change at Erenhot", 120, gauge, 0.01, relative=True, unit="USD/TEU"),
    ]  # fmt: skip


def _crossing_time(build: CorridorBuild, result: AssignmentResult, crossing_id: int) -> float:
    links = build.network.links
    rows = links.index[(links["element"] == "crossing") & (links["element_id"] == crossing_id)
                       & (links["mode"] == "rail")]  # fmt: skip
    res = result.links.iloc[rows]
    queue = res.get("queue_delay", 0.0)
    return float((res["time"] + queue).mean())


def route_rows(solved: Solved) -> list[dict[str, Any]]:
    """C1 shares, C5 cost ordering and C6 Power of Siberia 1 flow."""
    shares = c1_shares(solved)
    rows = [
        _row("C1", f"China–Europe trains via {name}", target, shares[name], 0.05, unit="share")
        for name, (_, target) in C1_TARGETS.items()
    ]
    rows += c5_rows(solved)
    table = crossing_table(solved.result, solved.build)
    pos1 = table[table["name"].str.contains("Power of Siberia 1")]
    flow, cap = float(pos1["bcm"].sum()), float(pos1["capacity"].max())
    rows.append(
        {"target": "C6", "figure": "Power of Siberia 1 flow ≤ capacity", "unit": "bcm/yr",
         "observed": 38.0, "modelled": flow, "error": flow - cap,
         "tolerance": "flow ≤ 38", "ok": bool(flow <= cap * (1 + 1e-6) and cap == 38.0)}
    )  # fmt: skip
    return rows


def c5_rows(solved: Solved) -> list[dict[str, Any]]:
    """C5: the generalized-cost orderings.

    Via Mongolia < via Kazakhstan (Beijing → Moscow) for the service itself: time and money
    without the queueing delay of full capacities, since the observed claim (shorter, 30–50%
    cheaper transit) describes the route, while its small share comes from the UBTZ
    transit-train limit; the costs with queues are shown alongside. Rail faster but dearer
    than sea (Shanghai → Hamburg).
    """
    r, b = solved.result, solved.build
    mn, kz = frozenset({4, 1}), frozenset({15, 17, 23})
    via_mn = route_cost(r, b, "container|CN>RU", 65, 1, via_crossings=mn, queue=False)
    via_kz = route_cost(r, b, "container|CN>RU", 65, 1, via_crossings=kz, queue=False)
    queued_mn = route_cost(r, b, "container|CN>RU", 65, 1, via_crossings=mn)
    queued_kz = route_cost(r, b, "container|CN>RU", 65, 1, via_crossings=kz)
    rail = route_cost(r, b, "container|CN>DE", 85, 110, avoid_modes=frozenset({"sea"}))
    sea = _sea_cost(solved)
    feu = (
        2
        * float(
            b.classes.set_index("demand_class").loc["container|CN>DE", "units_per_assignment_unit"]
        )
        ** -1
    )

    def days(hours: float) -> float:
        return hours / 24

    return [
        {"target": "C5", "figure": "GC Beijing→Moscow: via Mongolia < via Kazakhstan "
                                   "(without queues; with queues)",
         "unit": "h", "observed": "MN < KZ (≈14 vs 20–21 days; tariff 30–50% lower)",
         "modelled": f"{via_mn['generalized_cost_h']:.0f} vs {via_kz['generalized_cost_h']:.0f}"
                     f" (time {days(via_mn['time_h']):.1f} vs {days(via_kz['time_h']):.1f} d);"
                     f" queued {queued_mn['generalized_cost_h']:.0f} vs"
                     f" {queued_kz['generalized_cost_h']:.0f}",
         "error": via_mn["generalized_cost_h"] - via_kz["generalized_cost_h"],
         "tolerance": "ordering",
         "ok": via_mn["generalized_cost_h"] < via_kz["generalized_cost_h"]},
        {"target": "C5", "figure": "Shanghai→Hamburg: rail faster, sea cheaper",
         "unit": "days; USD/FEU", "observed": "rail 15–20 d, 7,000–12,500; sea 30–45 d, 1,620",
         "modelled": f"rail {days(rail['time_h']):.1f} d, {rail['money_usd_per_unit'] * feu:,.0f};"
                     f" sea {days(sea['time_h']):.1f} d, {sea['money_usd_per_unit'] * feu:,.0f}",
         "error": math.nan, "tolerance": "ordering",
         "ok": rail["time_h"] < sea["time_h"]
         and rail["money_usd_per_unit"] > sea["money_usd_per_unit"]},
    ]  # fmt: skip


def _sea_cost(solved: Solved) -> dict[str, float]:
    """Shanghai→Hamburg with every land border closed (the sea route)."""
    ids = frozenset(int(i) for i in solved.build.model.crossings["crossing_id"])
    return route_cost(solved.result, solved.build, "container|CN>DE", 85, 110, avoid_crossings=ids)


def parameter_table(build: CorridorBuild) -> pd.DataFrame:
    """Free parameters with their final values and basis.

    The logit dispersion per commodity (container tuned, the others set by judgement) and
    the tuned ``container_lane_share`` of each crossing that has one.
    """
    c = build.model.commodities
    fs = c["field_sources"].fillna("").astype(str)
    ids = fs.str.extract(r"dispersion_per_hour=([A-Z0-9|]+)")[0].fillna("")
    dispersion = pd.DataFrame(
        {
            "parameter": "dispersion_per_hour[" + c["commodity"].astype(str) + "]",
            "value": pd.to_numeric(c.get("dispersion_per_hour"), errors="coerce"),
            "unit": "1/h",
            "tuned": c["commodity"].astype(str) == "container",
            "basis": ids,
        }
    )
    return pd.concat([dispersion, _lane_share_rows(build)], ignore_index=True)


def _lane_share_rows(build: CorridorBuild) -> pd.DataFrame:
    x = build.model.crossings
    if "container_lane_share" not in x:
        return pd.DataFrame()
    share = pd.to_numeric(x["container_lane_share"], errors="coerce")
    x = x[share.notna()]
    fs = x["field_sources"].fillna("").astype(str)
    return pd.DataFrame(
        {
            "parameter": "container_lane_share[" + x["name"].astype(str) + "]",
            "value": share[share.notna()],
            "unit": "share of exchange",
            "tuned": True,
            "basis": fs.str.extract(r"container_lane_share=([A-Z0-9|]+)")[0].fillna(""),
        }
    )


def calibration_table(solved: Solved) -> pd.DataFrame:
    """Every row of calibration-targets.md, observed vs modelled, with the tolerance check."""
    rows = demand_rows(solved.build) + route_rows(solved) + border_rows(solved.build, solved.result)
    order = {k: i for i, k in enumerate(["D1", "D2", "D3", "D4", "D5", "C1", "C2", "C3", "C4",
                                          "C5", "C6"])}  # fmt: skip
    table = pd.DataFrame(rows)
    return table.sort_values("target", key=lambda s: s.map(order), kind="stable", ignore_index=True)
