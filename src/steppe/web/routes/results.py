"""Stored runs and their results: crossings, route shares, borders, dependency, hubs, TCD, map.

Results never change once a run is stored, so each answer is serialised once and kept
(:meth:`steppe.web.service.Service.answer`). A kept answer is returned at once; anything
else (reading the store, computing, re-solving) happens in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from steppe.scenario.compare import compare_summaries
from steppe.scenario.execute import ScenarioRun
from steppe.web import results
from steppe.web.errors import ERROR_RESPONSES, ErrorBody
from steppe.web.models import NAME_PATTERN
from steppe.web.routes.common import RunRef, ServiceDep
from steppe.web.service import Service

SOLVED = {**ERROR_RESPONSES,
          409: {"model": ErrorBody, "description": "The run cannot be re-solved here"},
          429: {"model": ErrorBody, "description": "The run queue is full"},
          503: {"model": ErrorBody, "description": "The run is still being re-solved"}}
router = APIRouter(prefix="/api", tags=["results"], responses=ERROR_RESPONSES)
Country = Annotated[str, Query(pattern=r"^[A-Z]{2}$", description="ISO country code")]
Place = Annotated[str, Query(min_length=1, max_length=80, description="place name or node id")]
Rows = list[dict[str, Any]]
Object = dict[str, Any]


class JSONBytes(Response):
    """A response whose body is JSON already serialised."""

    media_type = "application/json"


async def _answer(svc: Service, run: str, name: str, params: tuple[Any, ...],
                  compute: Callable[[ScenarioRun], Any]) -> Response:
    found = svc.kept((run,), name, params)
    if found is None:
        found = await run_in_threadpool(svc.answer, run, name, params, compute)
    return JSONBytes(found)


async def _summaries(svc: Service, refs: tuple[str, ...], name: str,
                     compute: Callable[..., Any]) -> Response:
    found = svc.kept(refs, name)
    if found is None:
        found = await run_in_threadpool(svc.from_summaries, refs, name, compute)
    return JSONBytes(found)


@router.get("/runs", response_model=Rows)
async def runs(svc: ServiceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:
    """The stored runs, newest first (id, scenario, status, gap, iterations, seconds...)."""
    found = svc.store.kept_runs_json(limit)
    if found is None:
        found = await run_in_threadpool(svc.store.runs_json, limit)
    return JSONBytes(found)


@router.get("/runs/{run}", response_model=Object)
async def run(run: RunRef, svc: ServiceDep) -> Response:
    """A run's summary: crossings, route shares, transit, costs, unserved, convergence."""
    return await _summaries(svc, (run,), "summary", lambda s: s)


@router.get("/runs/{run}/crossings", response_model=Rows)
async def crossings(run: RunRef, svc: ServiceDep) -> Response:
    """Volumes per border crossing, direction and mode (t, TEU, trains, bcm per year)."""
    return await _summaries(svc, (run,), "crossings", lambda s: s.get("crossings", []))


@router.get("/runs/{run}/route-shares", response_model=Object)
async def route_shares(run: RunRef, svc: ServiceDep) -> Response:
    """Route shares: China–Europe rail containers by Chinese border port."""
    return await _summaries(svc, (run,), "shares", lambda s: s.get("route_shares", {}))


@router.get("/runs/{run}/border-table", response_model=Rows, responses=SOLVED)
async def border_table(run: RunRef, svc: ServiceDep) -> Response:
    """The CPMM-style border table: time, cost, volume, utilisation, shadow price."""
    return await _answer(svc, run, "border", (), results.border_rows)


@router.get("/runs/{run}/dependency", response_model=Object, responses=SOLVED)
async def dependency(run: RunRef, svc: ServiceDep, country: Country = "MN") -> Response:
    """A country's dependency index (HHI, balance index) and trade shares by partner/border."""
    return await _answer(svc, run, "dependency", (country,),
                         lambda r: results.dependency(r, country))


@router.get("/runs/{run}/hub-rank", response_model=Rows, responses=SOLVED)
async def hub_rank(run: RunRef, svc: ServiceDep,
                   top: Annotated[int, Query(ge=1, le=500)] = 25) -> Response:
    """Places ranked by freight throughput, with transit and flow-weighted betweenness."""
    return await _answer(svc, run, "hubs", (top,), lambda r: results.hubs(r, top))


@router.get("/runs/{run}/tcd", response_model=Rows, responses=SOLVED)
async def tcd(
    run: RunRef, svc: ServiceDep, origin: Place, destination: Place,
    commodity: Annotated[str, Query(pattern=NAME_PATTERN)] = "container",
    modes: Annotated[list[str] | None, Query(max_length=8)] = None,
) -> Response:
    """Time/cost–distance profile (UNESCAP) of a commodity's cheapest route at equilibrium."""
    key = (origin, destination, commodity, tuple(modes or ()))
    return await _answer(svc, run, "tcd", key,
                         lambda r: results.tcd(r, origin, destination, commodity, modes))


@router.get("/runs/{run}/flow-map", response_model=Object, responses=SOLVED)
async def flow_map(run: RunRef, svc: ServiceDep) -> Response:
    """The flow map as GeoJSON: flows on links and crossings, crossings and places as points."""
    return await _answer(svc, run, "geojson", (), results.flow_geojson)


@router.get("/runs/{run}/choices", response_model=Object, responses=SOLVED)
async def choices(run: RunRef, svc: ServiceDep) -> Response:
    """Places, commodities, countries and modes of a run (for pickers)."""
    return await _answer(svc, run, "choices", (), results.choices)


@router.get("/compare", response_model=Object)
async def compare(
    svc: ServiceDep,
    a: Annotated[str, Query(pattern=NAME_PATTERN, max_length=64, description="run A")],
    b: Annotated[str, Query(pattern=NAME_PATTERN, max_length=64, description="run B")],
) -> Response:
    """What changes from run A to run B: crossings, route shares, transit, costs, unserved."""
    return await _summaries(svc, (a, b), "compare", compare_summaries)
