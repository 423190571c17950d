"""Rendering console pages: the Jinja2 environment, its filters, and `ConsoleRoute`, which
applies the session and CSRF rules (console/session.py) around every console handler and turns
refusals into pages instead of JSON problems."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import TypeAdapter, ValidationError

from swarmstack import __version__
from swarmstack.errors import InvalidInput, SwarmstackError
from swarmstack.security.roles import Permission, Principal, permits
from swarmstack.server.console import session
from swarmstack.server.schemas import StorableName

ENV = Environment(
    loader=PackageLoader("swarmstack.server.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def when(value: float | None) -> str:
    """Epoch seconds as `YYYY-MM-DD HH:MM:SS` UTC."""
    if value is None:
        return "-"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float | None) -> str:
    """Seconds as `850 ms`, `2.3 s` or `4 min 5 s`."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


SHOWN = 20_000  # characters of one value a page shows; the JSON API has the whole of it


def clip(value: Any, limit: int = SHOWN) -> str:
    """`value` as text, cut after `limit` characters with a note of how many were left out
    (a task's input, output, trace or error can be megabytes; the page, re-rendered on every
    event of a running task, must stay small)."""
    text = "" if value is None else str(value)
    if len(text) <= limit:
        return text
    left = len(text) - limit
    return f"{text[:limit]}\n… {left:,} more characters not shown (GET /api/v1/tasks/ID has all)"


def pretty(value: Any, limit: int = SHOWN) -> str:
    """A JSON value indented for reading, clipped to `limit` characters."""
    if not isinstance(value, str):
        value = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return clip(value, limit)


def usd(value: Any) -> str:
    """A cost in US dollars."""
    return "-" if value in (None, "") else f"${float(value):.6f}".rstrip("0").rstrip(".")


ENV.filters.update(when=when, duration=duration, pretty=pretty, clip=clip, usd=usd)


def render(
    request: Request, name: str, who: Principal | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """Template `name` with the caller, what it may do, and the CSRF value."""

    def can(permission: str) -> bool:
        return who is not None and permits(who, Permission(permission))

    html = ENV.get_template(name).render(
        request=request,
        who=who,
        can=can,
        csrf=session.csrf_value(request),
        version=__version__,
        now=time.time(),
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    session.keep_csrf(response, request)
    return response


def message(
    request: Request, who: Principal | None, title: str, text: str, status: int
) -> Response:
    """A page (or, for htmx, a fragment) that says one thing."""
    if request.headers.get("hx-request"):
        return HTMLResponse(
            Markup('<p class="notice error" role="alert">{}</p>').format(text), status_code=status
        )
    return render(request, "message.html", who, status, title=title, text=text)


TITLES = {403: "Not allowed", 404: "Not found", 409: "Conflict", 413: "Too large",
          422: "Invalid input", 429: "Too many requests", 503: "Unavailable"}  # fmt: skip


def _refusal(request: Request, exc: Exception) -> Response:
    who: Principal | None = getattr(request.state, "principal", None)
    if isinstance(exc, session.SignInNeeded):
        url = session.login_url(request)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": url})
        if request.method not in session.SAFE:
            return message(request, None, "Signed out", "Your session ended; sign in again.", 401)
        return RedirectResponse(url, status_code=303)
    assert isinstance(exc, SwarmstackError)
    text = str(exc.message) + (f" ({exc.fix})" if exc.fix else "")
    response = message(request, who, TITLES.get(exc.status, "Error"), text, exc.status)
    retry = exc.details.get("delay_s")
    if isinstance(retry, int | float) and retry > 0:
        response.headers["Retry-After"] = str(max(1, round(retry)))
    return response


def not_found(request: Request) -> Response:
    """The console's page for a path under /console that names nothing (no principal is looked
    up for it: the page says only that, with the link back)."""
    text = f"There is no console page at {request.url.path[:200]}."
    return message(request, None, TITLES[404], text, 404)


STORABLE: TypeAdapter[str] = TypeAdapter(StorableName)


def check_values(request: Request) -> None:
    """Refuse query and path values the JSON API would refuse as names (NUL and other control
    characters, lone surrogates): the console hands them to the store and the API's handlers
    directly, and PostgreSQL cannot hold NUL in text."""
    values = [*request.query_params.multi_items(), *request.path_params.items()]
    for name, value in values:
        try:
            STORABLE.validate_python(value)
        except ValidationError as exc:
            said = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise InvalidInput(f"{name}: {said}") from None


def _invalid(exc: RequestValidationError) -> InvalidInput:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "not valid"}
    where = ".".join(str(part) for part in first.get("loc", ())) or "the request"
    return InvalidInput(f"{where}: {first.get('msg', 'not valid')}")


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ConsoleRoute(APIRoute):
    """A console route: CSRF check first, refusals as pages, refreshed tokens as cookies."""

    def get_route_handler(self) -> Handler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                await session.check_csrf(request)
                check_values(request)
                response = await original(request)
            except RequestValidationError as exc:
                return _refusal(request, _invalid(exc))
            except session.SignInNeeded as exc:
                return _refusal(request, exc)
            except SwarmstackError as exc:
                if exc.status >= 500 and exc.status != 503:
                    raise  # a fault of ours: the app's handler logs it and answers 500
                return _refusal(request, exc)
            session.renew_session(response, request)
            return response

        return handler
