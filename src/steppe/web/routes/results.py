"""Stored runs and their results: crossings, route shares, borders, dependency, hubs, TCD, map."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from steppe.scenario.compare import compare_summaries
from steppe.web import results
from steppe.web.errors import ERROR_RESPONSES, ErrorBody
from steppe.web.models import NAME_PATTERN
from steppe.web.routes.common import RunRef, ServiceDep

SOLVED = {**ERROR_RESPONSES,
          409: {"model": ErrorBody, "description": "The run cannot be re-solved here"},
          429: {"model": ErrorBody, "description": "The run queue is full"},
          503: {"model": ErrorBody, "description": "The run is still being re-solved"}}
router = APIRouter(prefix="/api", tags=["results"], responses=ERROR_RESPONSES)
Country = Annotated[str, Query(pattern=r"^[A-Z]{2}$", description="ISO country code")]
Place = Annotated[str, Query(min_length=1, max_length=80, description="place name or node id")]


@router.get("/runs")
def runs(svc: ServiceDep,
         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """The stored runs, newest first (id, scenario, status, gap, iterations, seconds...)."""
    return svc.store.runs(limit)


@router.get("/runs/{run}")
def run(run: RunRef, svc: ServiceDep) -> dict[str, Any]:
    """A run's summary: crossings, route shares, transit, costs, unserved, convergence."""
    out: dict[str, Any] = results.jsonable(svc.summary(run))
    return out


@router.get("/runs/{run}/crossings")
def crossings(run: RunRef, svc: ServiceDep) -> list[dict[str, Any]]:
    """Volumes per border crossing, direction and mode (t, TEU, trains, bcm per year)."""
    rows: list[dict[str, Any]] = results.jsonable(svc.summary(run).get("crossings", []))
    return rows


@router.get("/runs/{run}/route-shares")
def route_shares(run: RunRef, svc: ServiceDep) -> dict[str, Any]:
    """Route shares: China–Europe rail containers by Chinese border port."""
    shares: dict[str, Any] = results.jsonable(svc.summary(run).get("route_shares", {}))
    return shares


@router.get("/runs/{run}/border-table", responses=SOLVED)
def border_table(run: RunRef, svc: ServiceDep) -> list[dict[str, Any]]:
    """The CPMM-style border table: time, cost, volume, utilisation, shadow price."""
    rows: list[dict[str, Any]] = svc.answer(run, "border", (), results.border_rows)
    return rows


@router.get("/runs/{run}/dependency", responses=SOLVED)
def dependency(run: RunRef, svc: ServiceDep, country: Country = "MN") -> dict[str, Any]:
    """A country's dependency index (HHI, balance index) and trade shares by partner/border."""
    out: dict[str, Any] = svc.answer(run, "dependency", (country,),
                                     lambda r: results.dependency(r, country))
    return out


@router.get("/runs/{run}/hub-rank", responses=SOLVED)
def hub_rank(run: RunRef, svc: ServiceDep,
             top: Annotated[int, Query(ge=1, le=500)] = 25) -> list[dict[str, Any]]:
    """Places ranked by freight throughput, with transit and flow-weighted betweenness."""
    rows: list[dict[str, Any]] = svc.answer(run, "hubs", (top,), lambda r: results.hubs(r, top))
    return rows


@router.get("/runs/{run}/tcd", responses=SOLVED)
def tcd(
    run: RunRef, svc: ServiceDep, origin: Place, destination: Place,
    commodity: Annotated[str, Query(pattern=NAME_PATTERN)] = "container",
    modes: Annotated[list[str] | None, Query(max_length=8)] = None,
) -> list[dict[str, Any]]:
    """Time/cost–distance profile (UNESCAP) of a commodity's cheapest route at equilibrium."""
    key = (origin, destination, commodity, tuple(modes or ()))
    rows: list[dict[str, Any]] = svc.answer(
        run, "tcd", key, lambda r: results.tcd(r, origin, destination, commodity, modes))
    return rows


@router.get("/runs/{run}/flow-map", responses=SOLVED)
def flow_map(run: RunRef, svc: ServiceDep) -> dict[str, Any]:
    """The flow map as GeoJSON: flows on links and crossings, crossings and places as points."""
    out: dict[str, Any] = svc.answer(run, "geojson", (), results.flow_geojson)
    return out


@router.get("/runs/{run}/choices", responses=SOLVED)
def choices(run: RunRef, svc: ServiceDep) -> dict[str, Any]:
    """Places, commodities, countries and modes of a run (for pickers)."""
    out: dict[str, Any] = svc.answer(run, "choices", (), results.choices)
    return out


@router.get("/compare")
def compare(
    svc: ServiceDep,
    a: Annotated[str, Query(pattern=NAME_PATTERN, max_length=64, description="run A")],
    b: Annotated[str, Query(pattern=NAME_PATTERN, max_length=64, description="run B")],
) -> dict[str, Any]:
    """What changes from run A to run B: crossings, route shares, transit, costs, unserved."""
    out: dict[str, Any] = results.jsonable(compare_summaries(svc.summary(a), svc.summary(b)))
    return out
