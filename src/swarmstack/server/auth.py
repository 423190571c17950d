"""Bearer API keys. Valid keys are cached for a few seconds to keep the hot path fast."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from swarmstack.errors import Unauthorized
from swarmstack.server.limits import Limiter
from swarmstack.server.state import Manager
from swarmstack.store import Principal

_CACHE_S = 10.0


class KeyCache:
    """Recently verified keys (by hash-free lookup: the key string itself, in memory only)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[Principal, float]] = {}

    def get(self, key: str) -> Principal | None:
        """A cached principal while it is fresh."""
        hit = self._seen.get(key)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, key: str, who: Principal) -> None:
        """Remember a verified key."""
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[key] = (who, time.monotonic() + _CACHE_S)


# Declares the scheme in OpenAPI so /docs can authorise; the header is checked below.
_BEARER = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer ssk_...`")


async def authenticate(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> Principal:
    """The principal behind `Authorization: Bearer <key>`, or 401; 429 when the principal's
    rate limit is spent, or when its source address sent too many requests without valid
    credentials."""
    limiter: Limiter = request.app.state.limiter
    try:
        who = await _identify(request)
    except Unauthorized:
        await limiter.check_source(request)
        raise
    await limiter.check_principal(request, who)
    return who


async def _identify(request: Request) -> Principal:
    """The principal behind the bearer key (verified keys cached briefly), or Unauthorized."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized(
            "missing bearer credentials", fix="send `Authorization: Bearer <api key>`"
        )
    manager: Manager = request.app.state.manager
    cache: KeyCache = request.app.state.key_cache
    key = key.strip()
    if (who := cache.get(key)) is not None:
        return who
    who = await manager.store.keys.lookup(key)
    if who is None:
        raise Unauthorized(
            "the API key is not valid or was revoked",
            fix="use the admin key printed by `swarmstack up`",
        )
    cache.put(key, who)
    return who
