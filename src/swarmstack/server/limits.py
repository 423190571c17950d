"""Rate limits of the manager's API: per principal, and per source address.

`authenticate()` calls `Limiter.check_principal` once it knows who is calling, and
`Limiter.check_source` when a request carries no valid credentials (sign-in calls it too), so
floods of 401s are limited per source address (`server/queue_caps.py` caps queued tasks). Each
raises `RateLimited` (429 with `Retry-After`); the headers of every check made for a request are
added to its response, 429 or not, by `RateLimitHeaders`.

Limits are read from the settings at each call, so a reload changes them at once. Buckets live
in `server/buckets.py`; the arithmetic and header syntax in `security/ratelimit.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from swarmstack.errors import RateLimited
from swarmstack.metrics import Metrics
from swarmstack.security.addresses import Network, client_address, networks
from swarmstack.security.ratelimit import Decision, Limit, limit_field, policy_field, retry_after
from swarmstack.security.roles import Principal
from swarmstack.server.buckets import Buckets, LocalBuckets, RedisBuckets
from swarmstack.settings import Settings
from swarmstack.settings.models import RateLimitSettings

STATE_KEY = "swarmstack.ratelimit"  # in scope["state"]: [(policy item, limit item), ...]


class Limiter:
    """Per-principal and per-source request limits over one bucket store."""

    def __init__(self, settings: Callable[[], Settings], buckets: Buckets, metrics: Metrics):
        self._settings = settings
        self.buckets = buckets
        self._metrics = metrics

    async def check_principal(self, request: Request, who: Principal) -> None:
        """Count a request of `who`; RateLimited when its role's (or key's) limit is spent."""
        limits = self._settings().rate_limits
        limit = principal_limit(limits, who) if limits.enabled else None
        if limit is not None:
            await self._check(request, "principal", f"p:{who.id}", limit)

    async def check_source(self, request: Request) -> None:
        """Count a request without valid credentials (or a sign-in) against its source
        address; RateLimited when that address's limit is spent."""
        settings = self._settings()
        limits = settings.rate_limits
        if limits.enabled:
            source = source_of(request, settings.server.trusted_proxies)
            await self._check(
                request, "source", f"s:{source}", Limit(limits.source_rate, limits.source_burst)
            )

    async def _check(self, request: Request, name: str, key: str, limit: Limit) -> None:
        decision = await self.buckets.take(key, limit)
        note(request.scope, policy_field(name, limit), limit_field(name, decision))
        if not decision.allowed:
            self._metrics.ratelimit_rejected.labels(name).inc()
            raise _refused(name, limit, decision)

    async def aclose(self) -> None:
        """Close the bucket store's connections."""
        await self.buckets.aclose()


def make_limiter(settings: Callable[[], Settings], metrics: Metrics) -> Limiter:
    """Buckets on Redis when `redis.url` is set (shared by every manager), else in-process."""
    url = settings().redis.url
    buckets: Buckets = (
        RedisBuckets(url.get_secret_value(), metrics) if url is not None else LocalBuckets()
    )
    return Limiter(settings, buckets, metrics)


def principal_limit(limits: RateLimitSettings, who: Principal) -> Limit | None:
    """The role's limit, or the key's `rate_limit` with the role's burst in seconds (a key
    allowed 500/s whose role allows 100/s with a burst of 200, two seconds' worth, gets a burst
    of 1,000); None when the key's rate is 0 (no limit)."""
    role = limits.for_role(who.role)
    if who.rate_limit is None:
        return Limit(role.rate, role.burst)
    if who.rate_limit <= 0:
        return None
    return Limit(who.rate_limit, max(1, round(who.rate_limit * role.burst / role.rate)))


def source_of(request: Request, trusted_proxies: Sequence[str]) -> str:
    """The source address a request is counted against (see `security.addresses`)."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.getlist("x-forwarded-for") if trusted_proxies else []
    return client_address(peer, forwarded, _networks(tuple(trusted_proxies)))


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return networks(entries)


def _refused(name: str, limit: Limit, decision: Decision) -> RateLimited:
    if name == "source":
        what = f"more than {limit.burst} requests at once or {limit.rate:g}/s from this address"
        fix = "wait `Retry-After` seconds and send valid credentials"
    else:
        what = f"more than {limit.burst} requests at once or {limit.rate:g}/s by this principal"
        fix = (
            "wait `Retry-After` seconds; an admin can raise the role's "
            "rate_limits.<role>_rate or the key's rate_limit"
        )
    return RateLimited(
        f"too many requests: {what}", fix=fix, delay_s=retry_after(decision), limit=name
    )


def note(scope: Scope, policy: str, current: str) -> None:
    """Remember a check's header items for the response (`RateLimitHeaders` adds them)."""
    scope.setdefault("state", {}).setdefault(STATE_KEY, []).append((policy, current))


class RateLimitHeaders:
    """Add `RateLimit-Policy` and `RateLimit` for the checks a request went through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # shared with the Request the routes see

        async def send_with_headers(message: Message) -> None:
            items = state.get(STATE_KEY)
            if message["type"] == "http.response.start" and items:
                headers = list(message.get("headers", []))
                headers.append((b"ratelimit-policy", ", ".join(p for p, _ in items).encode()))
                headers.append((b"ratelimit", ", ".join(c for _, c in items).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
