"""Who is calling, and may they: `authenticate` (API key or access token) and `authorize`
(the route's permission from server/access.py).

Credentials are `Authorization: Bearer <credential>`: an API key (`ssk_...`) or an access token
from `POST /api/v1/auth`. Every failure answers 401 "invalid credentials" (the reason is logged,
never sent), so a caller learns nothing about which part was wrong. Verified principals are
cached for a few seconds to keep the hot path fast: a revoked key or disabled user stops
working within `CACHE_S`.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from swarmstack.errors import Forbidden, Unauthorized
from swarmstack.security.roles import Principal, permits
from swarmstack.security.tokens import InvalidToken, decode
from swarmstack.server.access import UnmappedRoute, permission_of
from swarmstack.server.limits import Limiter
from swarmstack.server.state import Manager

log = logging.getLogger(__name__)
CACHE_S = 10.0
INVALID = "invalid credentials"
SWARMS_API = "/v1/"
HOW = "send `Authorization: Bearer <API key or access token>`; sign in with POST /api/v1/auth"


class PrincipalCache:
    """Recently verified credentials and users, in memory only, for `CACHE_S` seconds."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[Principal | None, float]] = {}
        # per user id: access tokens issued before this second are refused (a password change)
        self.tokens_after: dict[str, float] = {}

    def get(self, key: str) -> tuple[bool, Principal | None]:
        """(hit, principal): a cached principal, or a cached "no such principal" (None)."""
        hit = self._seen.get(key)
        if hit is None or hit[1] < time.monotonic():
            return False, None
        return True, hit[0]

    def put(self, key: str, who: Principal | None) -> None:
        """Remember a verified credential (or a user found disabled: None)."""
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[key] = (who, time.monotonic() + CACHE_S)

    def clear(self) -> None:
        """Forget everything (after a revoke or disable on this manager)."""
        self._seen.clear()


# Declares the scheme in OpenAPI so /docs can authorise; the header is checked below.
_BEARER = HTTPBearer(
    auto_error=False,
    description="An API key (`ssk_...`) or an access token from POST /api/v1/auth.",
)


def _credential(request: Request) -> str:
    """`Authorization: Bearer <credential>`; on the Swarms API shape (`/v1/...`) also the
    `x-api-key` header its clients send."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    api_key = request.headers.get("x-api-key", "").strip()
    if api_key and request.url.path.startswith(SWARMS_API):
        return api_key
    raise Unauthorized("missing credentials", fix=HOW)


async def authenticate(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> Principal:
    """The principal behind `Authorization: Bearer <credential>`, or 401; 429 when the
    principal's rate limit is spent, or when its source address sent too many requests
    without valid credentials."""
    limiter: Limiter = request.app.state.limiter
    try:
        who = await _identify(request)
    except Unauthorized:
        await limiter.check_source(request)
        raise
    await limiter.check_principal(request, who)
    return who


async def _identify(request: Request) -> Principal:
    """The principal behind the credential (verified ones cached briefly), or Unauthorized."""
    who = await principal_of(request, _credential(request))
    if who is None:
        raise Unauthorized(INVALID, fix=HOW)
    request.state.principal = who
    return who


async def principal_of(request: Request, credential: str) -> Principal | None:
    """The principal behind an API key or access token (verified ones cached briefly), or
    None. The console calls it with the credential from its session cookie."""
    manager: Manager = request.app.state.manager
    cache: PrincipalCache = request.app.state.principals
    if credential.startswith("ssk_"):
        return await _api_key(manager, cache, credential)
    return await _access_token(manager, cache, credential)


async def _api_key(manager: Manager, cache: PrincipalCache, key: str) -> Principal | None:
    hit, who = cache.get(key)
    if hit:
        return who
    who = await manager.store.keys.lookup(key, time.time())
    if who is None:
        log.info("refused an API key: unknown, revoked or expired")
    cache.put(key, who)
    return who


async def _access_token(manager: Manager, cache: PrincipalCache, token: str) -> Principal | None:
    try:
        claims = decode(manager.token_keys, token, kind="access")
    except InvalidToken as exc:
        log.info("refused an access token: %s", exc)
        return None
    hit, who = cache.get(claims.subject)
    if not hit:
        user = await manager.store.users.get(claims.subject)
        who = None
        if user is not None and not user.disabled:
            who = Principal(user.id, user.username, user.role, user.tenant, "user")
            cache.tokens_after[claims.subject] = user.tokens_after or 0.0
        cache.put(claims.subject, who)
    if who is None:
        log.info("refused an access token of a disabled or deleted user %s", claims.subject)
    elif claims.issued_at < cache.tokens_after.get(claims.subject, 0.0):
        log.info("refused an access token issued before a password change of %s", who.name)
        return None
    return who


async def authorize(
    request: Request, who: Annotated[Principal, Depends(authenticate)]
) -> Principal:
    """`authenticate`, then 403 unless the principal's role holds the route's permission."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    try:
        needed = permission_of(request.method, path)
    except UnmappedRoute as exc:
        log.error("refused a request: %s", exc)
        raise Forbidden("this route has no permission assigned", fix="report it") from None
    if needed is not None and not permits(who, needed):
        confined = f" within tenant {who.tenant!r}" if who.tenant is not None else ""
        raise Forbidden(
            f"the {who.role} role{confined} does not have the permission {needed.value!r}",
            fix="ask an admin for a key or user with a role that has it (docs/security.md)",
        )
    return who


Who = Annotated[Principal, Depends(authorize)]
