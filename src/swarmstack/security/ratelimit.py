"""Token buckets, and the RateLimit header fields that describe them. Pure: no clock, no I/O.

The server's bucket stores (`server/buckets.py`: in-process, or one Lua script on Redis that
does the same arithmetic) call `take`; the limiter (`server/limits.py`) turns its `Decision`
into headers with `policy_field` and `limit_field`.

A bucket holds at most `burst` tokens and gains `rate` tokens a second; a request takes one.
A bucket that is missing is full, so a store may forget any bucket that has refilled (its
`Decision.reset_s` has passed) without changing a single answer.

Header fields follow draft-ietf-httpapi-ratelimit-headers-11 ("RateLimit header fields for
HTTP", May 2026), sections 3 and 4: `RateLimit-Policy: "<name>";q=<burst>;w=<seconds to refill
an empty bucket>` and `RateLimit: "<name>";r=<tokens left>;t=<seconds until full>`. On a 429 the
`t` parameter is the `Retry-After` value, so Retry-After never names a time before the end of
the effective window (section 6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    """`rate` requests a second on average, up to `burst` at once."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)) or self.burst < 1:
            raise ValueError(f"a limit needs rate > 0 and burst >= 1, not {self}")

    @property
    def window_s(self) -> int:
        """Whole seconds an empty bucket takes to fill (at least 1)."""
        return max(1, math.ceil(self.burst / self.rate))


@dataclass(frozen=True, slots=True)
class Bucket:
    """Tokens left at time `at` (seconds on whatever clock the store uses)."""

    tokens: float
    at: float


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one request: whether it may pass, the whole tokens left, how long until
    it could pass (0 when allowed) and how long until the bucket is full again."""

    allowed: bool
    remaining: int
    retry_after_s: float
    reset_s: float


def take(
    bucket: Bucket | None, limit: Limit, now: float, cost: float = 1.0
) -> tuple[Bucket, Decision]:
    """Refill `bucket` up to `now`, then take `cost` tokens if it holds them.

    A missing bucket is full. A clock that went backwards refills nothing (and the bucket keeps
    its later time, so the step back is not counted twice)."""
    tokens, at = (limit.burst, now) if bucket is None else (bucket.tokens, bucket.at)
    tokens = min(float(limit.burst), tokens + max(0.0, now - at) * limit.rate)
    allowed = tokens >= cost
    if allowed:
        tokens -= cost
    retry = 0.0 if allowed else (cost - tokens) / limit.rate
    decision = Decision(allowed, int(tokens), retry, (limit.burst - tokens) / limit.rate)
    return Bucket(tokens, max(now, at)), decision


def retry_after(decision: Decision) -> int:
    """`Retry-After` in whole seconds (RFC 9110 delay-seconds): rounded up, at least 1."""
    return max(1, math.ceil(decision.retry_after_s))


def policy_field(name: str, limit: Limit) -> str:
    """A `RateLimit-Policy` item: `"name";q=<burst>;w=<window>`."""
    return f'"{name}";q={limit.burst};w={limit.window_s}'


def limit_field(name: str, decision: Decision) -> str:
    """A `RateLimit` item: `"name";r=<remaining>;t=<seconds>`; refused, `t` is `Retry-After`."""
    seconds = math.ceil(decision.reset_s) if decision.allowed else retry_after(decision)
    return f'"{name}";r={decision.remaining};t={seconds}'
