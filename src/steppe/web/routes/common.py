"""What the route modules share: the service, path parameters, the token check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from steppe.web.errors import ApiError
from steppe.web.models import NAME_PATTERN
from steppe.web.service import Service

RunRef = Annotated[str, Path(pattern=NAME_PATTERN, max_length=64,
                             description="run id, its prefix, or a scenario name (newest run)")]
PresetName = Annotated[str, Path(pattern=NAME_PATTERN, max_length=64, description="a preset")]
bearer = HTTPBearer(auto_error=False, description="the token given to `steppe serve`")


async def service(request: Request) -> Service:
    """The app's :class:`~steppe.web.service.Service`."""
    svc: Service = request.app.state.service
    return svc


ServiceDep = Annotated[Service, Depends(service)]


def require_token(
    svc: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Refuse unless runs are allowed and the request carries the server's token."""
    if not svc.settings.allow_runs:
        raise ApiError(403, "runs_disabled",
                       "this server is read-only; start it with --allow-runs to run scenarios")
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "token_required",
                       "starting runs needs the server's token: Authorization: Bearer <token>")
    expected = svc.settings.token or ""
    if not expected or not hmac.compare_digest(credentials.credentials.encode(),
                                               expected.encode()):
        raise ApiError(401, "bad_token", "the token does not match the server's")
