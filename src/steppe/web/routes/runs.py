"""Starting runs (token needed) and polling their jobs."""

from __future__ import annotations

import json
import tomllib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from steppe.web.errors import ERROR_RESPONSES, ApiError, ErrorBody
from steppe.web.limits import BodyTooLargeError
from steppe.web.models import JobInfo, RunRequest
from steppe.web.routes.common import ServiceDep, require_token
from steppe.web.scenarios import posted_scenario, preset_variant
from steppe.web.service import Service

router = APIRouter(prefix="/api", tags=["runs"], responses=ERROR_RESPONSES)
RUN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": JobInfo, "description": "The run was already stored (cached = true)"},
    202: {"model": JobInfo, "description": "The run is queued; poll /api/jobs/{job_id}"},
    401: {"model": ErrorBody, "description": "No token, or a wrong one"},
    403: {"model": ErrorBody, "description": "The server does not run scenarios"},
    415: {"model": ErrorBody, "description": "Neither JSON nor TOML"},
    429: {"model": ErrorBody, "description": "The run queue is full"},
}
REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": RunRequest.model_json_schema()},
        "application/toml": {"schema": {"type": "string"}},
    },
}
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]


async def _body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _json(body: bytes) -> RunRequest:
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    try:
        return RunRequest.model_validate(data)
    except ValidationError as exc:
        problems = [{"field": ".".join(str(p) for p in e["loc"]), "expected": e["msg"]}
                    for e in exc.errors()]
        raise ApiError(422, "invalid_request", "the run request does not match RunRequest",
                       problems) from None


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ApiError(400, "malformed_toml", f"the scenario is not valid TOML: {exc}") from None


def _scenario(req: RunRequest, svc: Service) -> Any:
    given = [k for k in ("preset", "scenario", "toml") if getattr(req, k) is not None]
    if len(given) != 1:
        raise ApiError(422, "invalid_request",
                       "give exactly one of preset, scenario or toml (got "
                       + (", ".join(given) or "none") + ")")
    if req.preset is None and (req.edits or req.parameters):
        raise ApiError(422, "invalid_request",
                       "edits and parameters go with a preset; put them in the scenario itself")
    if req.preset is not None:
        return preset_variant(svc.presets.get(req.preset), edits=req.edits,
                              parameters=req.parameters, name=req.name, presets=svc.presets,
                              settings=svc.settings)
    if req.scenario is not None:
        return posted_scenario(req.scenario, svc.presets, svc.settings)
    text = req.toml or ""
    return posted_scenario(_toml(text), svc.presets, svc.settings, text=text)


@router.post("/runs", status_code=202, responses=RUN_RESPONSES,
             dependencies=[Depends(require_token)], openapi_extra={"requestBody": REQUEST_BODY})
async def start_run(request: Request, svc: ServiceDep) -> JSONResponse:
    """Start a run of a preset (optionally a variant) or of a posted scenario.

    The body is JSON (:class:`RunRequest`) or a scenario file's TOML text
    (``Content-Type: application/toml``). A scenario already in the store is not solved
    again: the answer is 200 with ``cached = true``.
    """
    body = await _body(request, svc.settings.max_body_bytes)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        req = _json(body)
    elif kind in ("application/toml", "text/plain", "text/x-toml"):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "malformed_toml", "the TOML body is not UTF-8") from None
        req = RunRequest.model_validate({"toml": text})
    else:
        raise ApiError(415, "unsupported_media_type",
                       "send application/json (a RunRequest) or application/toml (a scenario)")
    from starlette.concurrency import run_in_threadpool

    job = await run_in_threadpool(lambda: svc.start_run(_scenario(req, svc)))
    return JSONResponse(job, status_code=200 if job["status"] == "done" else 202)


@router.get("/jobs", response_model=list[JobInfo])
def jobs(svc: ServiceDep) -> list[dict[str, Any]]:
    """Run jobs this server remembers, newest first."""
    return svc.jobs.jobs()


@router.get("/jobs/{job_id}", response_model=JobInfo)
def job(job_id: JobId, svc: ServiceDep) -> dict[str, Any]:
    """A job's status and progress (iteration, relative gap, share done)."""
    return svc.jobs.get(job_id)
