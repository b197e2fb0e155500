"""Errors as JSON: ``{"error": ..., "detail": ...}`` with a 4xx status, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from steppe.errors import InputError, SteppeError

log = logging.getLogger("steppe.web")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    detail: str
    problems: list[dict[str, Any]] | None = None


class ApiError(Exception):
    """An error with an HTTP status, a short code and a message for the client.

    Parameters
    ----------
    status
        HTTP status code (4xx).
    error
        Short machine-readable code, e.g. ``"unknown_preset"``.
    detail
        One-paragraph explanation for a person.
    problems
        Optional list of problems (file, line, field, value, expected).
    """

    def __init__(self, status: int, error: str, detail: str,
                 problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.problems = status, error, detail, problems


def error_response(status: int, error: str, detail: str,
                   problems: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error response."""
    body = ErrorBody(error=error, detail=detail, problems=problems)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def problem_dicts(exc: InputError) -> list[dict[str, Any]]:
    """The problems of an input error as plain dicts."""
    return [
        {"source": p.source, "line": p.row, "field": p.field, "value": p.value,
         "expected": p.expected}
        for p in exc.problems
    ]


def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.detail, exc.problems)


def _input_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    head = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return error_response(422, "invalid_input", head, problem_dicts(exc) or None)


def _steppe_error(_: Request, exc: Exception) -> JSONResponse:
    return error_response(400, "bad_request", str(exc) or type(exc).__name__)


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "expected": str(e.get("msg", "")),
         "value": None if e.get("input") is None else str(e.get("input"))[:200]}
        for e in exc.errors()
    ]
    return error_response(422, "invalid_request", "the request does not match the API", problems)


def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return error_response(exc.status_code, codes.get(exc.status_code, "http_error"),
                          str(exc.detail), headers=getattr(exc, "headers", None))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "the server failed; the error is logged")


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception to a JSON error response."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(SteppeError, _steppe_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "Malformed request"), (404, "Unknown run, preset or job"),
        (413, "Body too large"), (422, "Invalid input"), (500, "Server error"),
    )
}
"""Error statuses documented on every operation (OpenAPI)."""
