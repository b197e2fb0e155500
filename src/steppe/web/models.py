"""Request and response bodies of the API (pydantic models, shown in the OpenAPI description)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


class Health(BaseModel):
    """``GET /api/health``."""

    status: str
    version: str
    runs_allowed: bool
    running: int
    queued: int


class PresetInfo(BaseModel):
    """A preset in ``GET /api/presets``."""

    name: str
    description: str
    origin: str = Field(description="builtin, or server (the operator's folder)")
    base: str = Field(description="eurasia, or the name of the operator's model folder")
    year: int | None
    edits: int
    parameters: dict[str, float]


class JobInfo(BaseModel):
    """A run job and its progress."""

    job_id: str
    kind: str
    status: str = Field(description="queued | running | done | failed")
    scenario: str
    run_id: str
    scenario_hash: str
    iteration: int
    relative_gap: float | None
    target_gap: float
    progress: float = Field(description="0 to 1, by log10 of the relative gap")
    queue_position: int | None
    error: str | None
    cached: bool = Field(description="the run was already in the store")
    seconds: float | None


class RunRequest(BaseModel):
    """``POST /api/runs`` (JSON): a preset or a whole scenario.

    A preset may come with extra edits and parameters; a scenario is its TOML tables as
    JSON (``scenario``) or TOML text (``toml``).
    """

    model_config = ConfigDict(extra="forbid")

    preset: str | None = Field(None, pattern=NAME_PATTERN, description="a preset's name")
    edits: list[dict[str, Any]] = Field(
        default_factory=list,
        description="edits appended to the preset's, as in [[edit]] tables (the server limits "
        "their number, and the body's size)")
    parameters: dict[str, float] = Field(
        default_factory=dict, description="preset parameters to change")
    name: str | None = Field(None, max_length=80, description="label of the run")
    scenario: dict[str, Any] | None = Field(
        None, description="a scenario's tables: scenario, parameters, edit (list), report")
    toml: str | None = Field(None, description="a scenario file's text")
