"""Console sign-in and sign-out, and `/console` itself (which sends each role to its home)."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from swarmstack.errors import SignInOff, Unauthorized
from swarmstack.security.roles import Permission, Principal, permits
from swarmstack.server import signin
from swarmstack.server.audit import record
from swarmstack.server.auth import principal_of
from swarmstack.server.console import session
from swarmstack.server.console.pages import ConsoleRoute, render
from swarmstack.server.console.session import Console

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
KEY_SESSION_S = 8 * 3600  # a session signed in with an API key (nothing to refresh)


def home(who: Principal) -> str:
    """The first view `who` may open."""
    if permits(who, Permission.CLUSTER_READ):
        return "/console/overview"
    return "/console/tasks"


def _next(value: str | None) -> str | None:
    """A return path inside the console only (no open redirect)."""
    if value and value.startswith("/console") and not value.startswith("//"):
        return value
    return None


@router.get("")
async def index(request: Request) -> Response:
    """The signed-in person's home, else the sign-in page."""
    try:
        who = await session.signed_in(request)
    except session.SignInNeeded:
        return RedirectResponse("/console/login", status_code=303)
    return RedirectResponse(home(who), status_code=303)


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    """The sign-in form: a username and password, or an API key."""
    return render(request, "login.html", None, next=_next(next) or "", error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    """Sign in; on success set the session cookies and go to `next` or the home view."""
    fields = await session.form(request)
    target = _next(fields.get("next"))
    key = fields.get("api_key", "").strip()
    try:
        if key:
            who = await principal_of(request, key)
            if who is None:
                await record(request, "-", "console.sign-in", "api-key", "refused")
                raise Unauthorized("invalid credentials")
            response = RedirectResponse(target or home(who), status_code=303)
            session.start_session(response, request, key, KEY_SESSION_S, None, 0)
            await record(request, who, "console.sign-in", who.name)
            return response
        await request.app.state.limiter.check_source(request)
        tokens = await signin.sign_in(
            request, fields.get("username", "")[:100], fields.get("password", "")[:1024]
        )
    except (Unauthorized, SignInOff) as exc:
        error = (
            "Password sign-in is off on this manager; use an API key."
            if isinstance(exc, SignInOff)
            else "Those credentials did not work."
        )
        return render(request, "login.html", None, 401, next=target or "", error=error)
    who = await principal_of(request, tokens.access_token)
    response = RedirectResponse(target or (home(who) if who else "/console"), status_code=303)
    session.start_session(
        response,
        request,
        tokens.access_token,
        tokens.expires_in,
        tokens.refresh_token,
        tokens.refresh_expires_in,
    )
    return response


@router.post("/logout")
async def logout(request: Request, who: Console) -> Response:
    """Sign out: revoke the refresh token's sign-in and clear the cookies."""
    refresh = request.cookies.get(session.REFRESH)
    if refresh:
        with contextlib.suppress(Unauthorized):  # used or revoked: the cookies go all the same
            await signin.sign_out(request, refresh, who.id)
    response = RedirectResponse("/console/login", status_code=303)
    session.end_session(response)
    return response
