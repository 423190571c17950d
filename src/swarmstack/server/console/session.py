"""The console's session and CSRF rules.

Session: after sign-in the browser holds three cookies, all `HttpOnly`, `SameSite=Strict`,
`Path=/console`, and `Secure` when the request came over HTTPS:
- `swarmstack_access`: the access token from `POST /api/v1/auth` (or an API key, when the
  person signed in with one);
- `swarmstack_refresh`: the refresh token; when the access token has expired, the next console
  request trades it for new tokens (`signin.refresh`) and the response sets both cookies again;
- `swarmstack_csrf`: a random value the server also writes into every form and into the
  `X-CSRF-Token` header htmx sends.

A request with `Authorization: Bearer ...` is authenticated from that header instead (scripts,
tests), exactly as the JSON API does (`auth.principal_of`).

CSRF: every console request that is not GET/HEAD must (1) come from this origin: its `Origin`
header (else its `Referer`) names the scheme, host and port the request was sent to, and (2)
carry the CSRF value, as the `csrf` form field or the `X-CSRF-Token` header, equal to the
cookie (compared in constant time). Requests authenticated by an `Authorization` header are
exempt: a browser never attaches that header to a cross-site request on its own.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response

from swarmstack.errors import Forbidden, SwarmstackError
from swarmstack.security.roles import Principal, permits
from swarmstack.server import signin
from swarmstack.server.access import UnmappedRoute, permission_of
from swarmstack.server.auth import principal_of

ACCESS = "swarmstack_access"
REFRESH = "swarmstack_refresh"
CSRF = "swarmstack_csrf"
PATH = "/console"
SAFE = frozenset({"GET", "HEAD"})


class SignInNeeded(Exception):
    """No valid session: the console sends the browser to its sign-in page."""


class CsrfRefused(SwarmstackError):
    """The request failed the console's cross-site request checks."""

    status = 403
    code = "csrf-refused"


def is_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (cookies are then `Secure`)."""
    return request.url.scheme == "https"


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        secure=is_https(request),
        httponly=True,
        samesite="strict",
    )


def start_session(
    response: Response, request: Request, access: str, access_s: int, refresh: str | None,
    refresh_s: int,
) -> None:  # fmt: skip
    """Set the session cookies (and a new CSRF value) on `response`."""
    lifetime = refresh_s if refresh else access_s
    _cookie(response, request, ACCESS, access, lifetime)
    if refresh:
        _cookie(response, request, REFRESH, refresh, refresh_s)
    _cookie(response, request, CSRF, secrets.token_urlsafe(32), lifetime)


def renew_session(response: Response, request: Request) -> None:
    """Set the cookies of tokens refreshed while serving `request`, if any were."""
    tokens: signin.Tokens | None = getattr(request.state, "console_tokens", None)
    if tokens is not None:
        _cookie(response, request, ACCESS, tokens.access_token, tokens.refresh_expires_in)
        _cookie(response, request, REFRESH, tokens.refresh_token, tokens.refresh_expires_in)


def end_session(response: Response) -> None:
    """Clear every console cookie."""
    for name in (ACCESS, REFRESH, CSRF):
        response.delete_cookie(name, path=PATH)


def csrf_value(request: Request) -> str:
    """The CSRF value pages embed (the cookie's; a fresh one for header-authenticated use)."""
    value = request.cookies.get(CSRF)
    if not value:
        value = getattr(request.state, "console_csrf", None) or secrets.token_urlsafe(32)
        request.state.console_csrf = value
    return value


def keep_csrf(response: Response, request: Request) -> None:
    """Set the CSRF cookie when this request made one up (first visit to the sign-in page)."""
    made: str | None = getattr(request.state, "console_csrf", None)
    if made and not request.cookies.get(CSRF):
        _cookie(response, request, CSRF, made, 3600)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def same_origin(request: Request) -> bool:
    """Whether the request's `Origin` (else `Referer`) is the origin it was sent to."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return False
    parts = urlsplit(claimed)
    host = request.headers.get("host", "")
    return parts.scheme == request.url.scheme and parts.netloc == host


async def check_csrf(request: Request) -> None:
    """Raise CsrfRefused unless a state-changing request passes the rules above."""
    if request.method in SAFE or _bearer(request) is not None:
        return
    if not same_origin(request):
        raise CsrfRefused("the request did not come from this console's origin")
    expected = request.cookies.get(CSRF, "")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        sent = (await form(request)).get("csrf")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRefused("the form's CSRF token is missing or stale; reload the page")


async def form(request: Request) -> dict[str, str]:
    """The fields of an `application/x-www-form-urlencoded` body (read once; the last value
    of a repeated field wins). Other bodies give no fields."""
    cached: dict[str, str] | None = getattr(request.state, "console_form", None)
    if cached is not None:
        return cached
    fields: dict[str, str] = {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = (await request.body()).decode("utf-8", "replace")
        fields = dict(parse_qsl(body, keep_blank_values=True, max_num_fields=200))
    request.state.console_form = fields
    return fields


async def _from_cookies(request: Request) -> Principal | None:
    access = request.cookies.get(ACCESS)
    if access:
        who = await principal_of(request, access)
        if who is not None:
            return who
    refresh = request.cookies.get(REFRESH)
    if not refresh:
        return None
    try:
        tokens = await signin.refresh(request, refresh)
    except SwarmstackError:
        return None
    request.state.console_tokens = tokens
    return await principal_of(request, tokens.access_token)


async def signed_in(request: Request) -> Principal:
    """The principal of the session (or of an `Authorization` header); SignInNeeded if none."""
    bearer = _bearer(request)
    who = await principal_of(request, bearer) if bearer else await _from_cookies(request)
    if who is None:
        raise SignInNeeded
    await request.app.state.limiter.check_principal(request, who)
    request.state.principal = who
    return who


async def allowed(request: Request, who: Annotated[Principal, Depends(signed_in)]) -> Principal:
    """`signed_in`, then Forbidden unless the route's permission (server/access.py) is held."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    try:
        needed = permission_of(request.method, path)
    except UnmappedRoute:
        raise Forbidden("this console page has no permission assigned") from None
    if needed is not None and not permits(who, needed):
        raise Forbidden(f"the {who.role} role does not have the permission {needed.value!r}")
    return who


Console = Annotated[Principal, Depends(allowed)]


def login_url(request: Request) -> str:
    """The sign-in page, returning to the current page after."""
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return f"{PATH}/login?next={quote(target, safe='')}"
