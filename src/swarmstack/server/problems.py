"""RFC 9457 problem documents for every error; stack traces never reach a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from swarmstack.errors import SwarmstackError, TemporaryError
from swarmstack.server.body_errors import JSON_FIX, not_declared_json, unparsable_json

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
_MEANINGS = {
    400: "The body is not JSON.",
    401: "Missing or invalid credentials (an API key or an access token).",
    403: "The credentials' role lacks the permission this route needs.",
    404: "No such resource (or one the caller may not see).",
    409: "Conflicts with the current state (Idempotency-Key reuse, a busy session).",
    413: "The body is too large.",
    422: "The request is not valid; `errors` says where.",
    429: "Too many requests or queued tasks; retry after `Retry-After` seconds.",
    500: "An agent or the swarm failed; `detail` says why (a Swarms API answer adds `job_id`).",
    503: "The store is unavailable (retry after `Retry-After` seconds), or sign-in is off.",
}


class Problem(BaseModel):
    """An RFC 9457 problem document; `fix` says how to put the request right."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    instance: str | None = Field(None, description="The request path.")
    fix: str | None = Field(None, description="How to fix the request.")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting the problem documents a route may answer."""
    return {
        status: {
            "description": _MEANINGS[status],
            "content": {PROBLEM: {"schema": Problem.model_json_schema()}},
        }
        for status in statuses
    }


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": f"https://swarmstack.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = {}
    if status == 401:  # RFC 6750 section 3: say which scheme to use
        headers["WWW-Authenticate"] = 'Bearer realm="swarmstack"'
    if "retry_after" in extra:
        headers["Retry-After"] = str(max(1, round(extra["retry_after"])))
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def problem_of(exc: SwarmstackError, instance: str) -> dict[str, Any]:
    """The RFC 9457 problem document of `exc` (what its error response carries)."""
    extra: dict[str, Any] = {k: v for k, v in exc.details.items() if _jsonable(v)}
    if exc.fix:
        extra["fix"] = exc.fix
    if isinstance(exc, TemporaryError):
        extra["retry_after"] = exc.delay_s
    return {
        "type": f"https://swarmstack.dev/problems/{exc.code}",
        "title": (type(exc).__doc__ or "Error").strip().splitlines()[0],
        "status": exc.status,
        "detail": exc.render(),
        "instance": instance,
        **extra,
    }


async def _swarmstack_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SwarmstackError)
    if exc.status >= 500:
        log.warning("%s %s failed: %s", request.method, request.url.path, exc)
    body = problem_of(exc, request.url.path)
    extra = {k: v for k, v in body.items() if k not in ("type", "title", "status", "detail")}
    return problem(exc.status, body["title"], body["detail"], exc.code, **extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"where": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
    ]
    detail = "; ".join(f"{e['where']}: {e['message']}" for e in errors)
    if (media := not_declared_json(request, exc.errors())) is not None:
        return _invalid_body(request, media, JSON_FIX)
    return problem(
        422,
        "The request is not valid",
        detail,
        "invalid-request",
        instance=request.url.path,
        errors=errors,
        fix="see /openapi.json for the request schema",
    )


def _invalid_body(request: Request, detail: str, fix: str) -> JSONResponse:
    errors = [{"where": "body", "message": detail}]
    return problem(
        422,
        "The request is not valid",
        detail,
        "invalid-request",
        instance=request.url.path,
        errors=errors,
        fix=fix,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and (reason := unparsable_json(exc)) is not None:
        return _invalid_body(
            request, reason, "send very long numbers as strings; nest input at most 64 levels"
        )
    response = problem(
        exc.status_code, str(exc.detail), str(exc.detail), "http-error", instance=request.url.path
    )
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (starlette names only the first route's).
    Each method is tried against the routes, so included routers count too."""
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.routes
        )
    ]


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(
        500,
        "Internal error",
        "an unexpected error occurred; see the manager log",
        "internal-error",
        instance=request.url.path,
    )


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(SwarmstackError, _swarmstack_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def _jsonable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None
