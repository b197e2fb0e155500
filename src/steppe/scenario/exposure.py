"""Closure exposure: re-equilibrate a corridor model with one country's borders closed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, MutableMapping
from dataclasses import replace
from typing import Any

import pandas as pd

from steppe.analysis.dependency import closure_exposure, land_neighbours, trading_countries
from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild, CorridorModel
from steppe.scenario.runner import CorridorRun, run_corridor

EXPOSURE_GAP = 1e-4
"""Default target gap of closure runs (coarser than a headline run: only totals are used)."""
EXPOSURE_MAX_ITER = 2_000


def close_borders(model: CorridorModel, country: str) -> CorridorModel:
    """The model with every crossing touching ``country`` removed."""
    crossings = model.crossings
    touching = (crossings["country_a"] == country) | (crossings["country_b"] == country)
    return replace(
        model,
        crossings=crossings[~touching].reset_index(drop=True),
        name=f"{model.name} (borders of {country} closed)",
    )


def model_key(model: CorridorModel) -> str:
    """A content hash of a model's tables, switches and parameters (cache key)."""
    digest = hashlib.sha256()
    for table in (
        model.nodes,
        model.links,
        model.crossings,
        model.commodities,
        model.tariffs,
        model.demand,
    ):
        digest.update(pd.util.hash_pandas_object(table.astype(str), index=False).to_numpy())
    digest.update(repr((sorted(model.switched_on), model.parameters)).encode())
    return digest.hexdigest()[:16]


def closure_runs(
    model: CorridorModel,
    countries: Iterable[str],
    *,
    cache: MutableMapping[tuple[str, str, float], CorridorRun] | None = None,
    target_gap: float = EXPOSURE_GAP,
    max_iter: int = EXPOSURE_MAX_ITER,
    **options: Any,
) -> dict[str, CorridorRun]:
    """Solve the model once per country with that country's crossings closed.

    Parameters
    ----------
    model
        The scenario's model.
    countries
        Countries to close, one run each.
    cache
        A mapping kept by the caller (e.g. a dict shared by a report over scenarios): runs
        are looked up by (model hash, country, gap) before solving.
    target_gap, max_iter, **options
        Passed to :func:`steppe.scenario.run_corridor`.
    """
    key = model_key(model)
    out = {}
    for country in countries:
        slot = (key, country, target_gap)
        if cache is not None and slot in cache:
            out[country] = cache[slot]
            continue
        run = run_corridor(
            close_borders(model, country), target_gap=target_gap, max_iter=max_iter, **options
        )
        if cache is not None:
            cache[slot] = run
        out[country] = run
    return out


def exposure_table(
    run: CorridorRun,
    *,
    countries: list[str] | None = None,
    cache: MutableMapping[tuple[str, str, float], CorridorRun] | None = None,
    target_gap: float = EXPOSURE_GAP,
    max_iter: int = EXPOSURE_MAX_ITER,
) -> pd.DataFrame:
    """Closure exposure of each country to each land neighbour, re-equilibrated.

    Closes every neighbour of the countries asked for (all trading countries by default),
    one run per closed country, and compares with ``run`` (see
    :func:`steppe.analysis.dependency.closure_exposure`). Adds ``closure_gap``: the relative
    gap the closure run reached.
    """
    build: CorridorBuild = run.build
    asked = countries or trading_countries(build)
    neighbours = land_neighbours(build)
    to_close = sorted({n for c in asked for n in neighbours.get(c, [])})
    runs = closure_runs(
        build.model, to_close, cache=cache, target_gap=target_gap, max_iter=max_iter
    )
    closed: dict[str, tuple[AssignmentResult, CorridorBuild]] = {
        c: (r.result, r.build) for c, r in runs.items()
    }
    table = closure_exposure(run.result, build, closed=closed, countries=asked)
    gaps = {c: r.result.relative_gap for c, r in runs.items()}
    table["closure_gap"] = table["closed"].map(gaps)
    return table
