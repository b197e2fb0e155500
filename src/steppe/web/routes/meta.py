"""Health and presets."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter

from steppe import __version__
from steppe.scenario.execute import load_base
from steppe.web.errors import ERROR_RESPONSES
from steppe.web.models import Health, PresetInfo
from steppe.web.results import records
from steppe.web.routes.common import PresetName, ServiceDep
from steppe.web.scenarios import Preset

router = APIRouter(prefix="/api", tags=["meta"], responses=ERROR_RESPONSES)


@router.get("/health", response_model=Health)
def health(svc: ServiceDep) -> Health:
    """The server is up; whether it runs scenarios, and how many are running and waiting."""
    counts = svc.jobs.counts()
    return Health(status="ok", version=__version__, runs_allowed=svc.settings.allow_runs,
                  running=counts["running"], queued=counts["queued"])


def _info(preset: Preset) -> PresetInfo:
    s = preset.scenario
    base = "eurasia" if s.base == "eurasia" else preset.name
    return PresetInfo(name=preset.name, description=s.description, origin=preset.origin,
                      base=base, year=s.year, edits=len(s.edits),
                      parameters=dict(s.parameters))


@router.get("/presets", response_model=list[PresetInfo])
def presets(svc: ServiceDep) -> list[PresetInfo]:
    """The presets a run can start from."""
    return [_info(svc.presets.get(n)) for n in svc.presets.names()]


@router.get("/presets/{name}")
def preset(name: PresetName, svc: ServiceDep) -> dict[str, Any]:
    """A preset, its edits, and the crossings and planned links of its base model.

    These are what a variant can change: dwell times, closures, planned elements.
    """
    found = svc.presets.get(name)
    model, _ = load_base(found.scenario.base)
    crossings = _numeric(model.crossings[["crossing_id", "name", "country_a", "country_b",
                                          "modes", "dwell_hours_ab", "dwell_hours_ba",
                                          "status"]],
                         ("crossing_id", "dwell_hours_ab", "dwell_hours_ba"))
    planned = _numeric(model.links[model.links["status"].isin(["planned", "under_construction"])],
                       ("link_id",))
    return {
        **_info(found).model_dump(),
        "edits_list": [{"op": e.op, **e.fields} for e in found.scenario.edits],
        "crossings": records(crossings),
        "planned_links": records(planned[["link_id", "name", "mode", "country", "status"]]),
    }


def _numeric(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    return table.assign(**{c: pd.to_numeric(table[c], errors="coerce") for c in columns})
