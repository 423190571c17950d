"""Where token buckets live: in this process, or in Redis so every manager shares them.

Called by the limiter (`server/limits.py`); the arithmetic is `security.ratelimit.take`.

- `LocalBuckets`: a dict in insertion order of last use, bounded: a bucket that has refilled
  is forgotten (a missing bucket is full, so no answer changes), and past `max_buckets` the
  least recently used go first.
- `RedisBuckets`: one Lua script (`TAKE`) does the same arithmetic atomically on Redis's own
  clock (`TIME`), so N managers enforce one limit. Each bucket is a hash that expires once it
  would be full again. The script is loaded once and called by EVALSHA; redis-py's `Script`
  loads it again when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH).
  While Redis is unreachable the limits fall back to this process's buckets (a log line, the
  metric `swarmstack_ratelimit_backend_errors_total`), and Redis is tried again after
  `RETRY_S`: limits never take the API down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from swarmstack.metrics import Metrics
from swarmstack.security.ratelimit import Bucket, Decision, Limit, take

log = logging.getLogger(__name__)
RETRY_S = 2.0
PREFIX = "swarmstack:rl:"

# KEYS[1]: the bucket. ARGV: rate, burst, cost. Returns allowed, remaining, retry_s, reset_s
# (floats as strings: Redis truncates Lua numbers to integers).
TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1])
local at = tonumber(saved[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = (cost - tokens) / rate
end
local reset = (burst - tokens) / rate
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil(reset * 1000) + 1000)
return {allowed, tostring(tokens), tostring(retry), tostring(reset)}
"""


class Buckets(Protocol):
    """A store of token buckets by key."""

    async def take(self, key: str, limit: Limit) -> Decision:
        """Take one token from bucket `key` under `limit`."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class LocalBuckets:
    """Buckets of this process; `clock` is injectable for tests."""

    def __init__(
        self, max_buckets: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_buckets = max_buckets
        self.clock = clock
        self._buckets: dict[str, tuple[Bucket, float]] = {}  # key -> (bucket, full again at)

    def __len__(self) -> int:
        return len(self._buckets)

    async def take(self, key: str, limit: Limit) -> Decision:
        return self.take_now(key, limit)

    def take_now(self, key: str, limit: Limit) -> Decision:
        """`take` without awaiting (the fallback of `RedisBuckets` uses it too)."""
        now = self.clock()
        saved = self._buckets.pop(key, None)
        bucket, decision = take(saved[0] if saved else None, limit, now)
        self._buckets[key] = (bucket, now + decision.reset_s)
        self._evict(now)
        return decision

    def _evict(self, now: float) -> None:
        """Forget refilled buckets from the least recently used end (a few per call, so the
        cost stays constant), and any past `max_buckets`."""
        for _ in range(2):
            key = next(iter(self._buckets), None)
            if key is None or self._buckets[key][1] > now:
                break
            del self._buckets[key]
        while len(self._buckets) > self.max_buckets:
            del self._buckets[next(iter(self._buckets))]

    async def aclose(self) -> None:
        return None


class RedisBuckets:
    """Buckets shared by every manager on one Redis; this process's buckets while it is down."""

    def __init__(self, url: str, metrics: Metrics, prefix: str = PREFIX) -> None:
        self._client = aioredis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self._script = self._client.register_script(TAKE)
        self._prefix = prefix
        self._metrics = metrics
        self.fallback = LocalBuckets()
        self.retry_s = RETRY_S
        self._down_until = 0.0

    async def take(self, key: str, limit: Limit) -> Decision:
        if time.monotonic() < self._down_until:
            return self.fallback.take_now(key, limit)
        try:
            answer = await self._script(
                keys=[self._prefix + key], args=[limit.rate, limit.burst, 1]
            )
        except (RedisError, OSError) as exc:
            self._down(exc)
            return self.fallback.take_now(key, limit)
        allowed, tokens, retry, reset = answer
        return Decision(bool(allowed), int(float(tokens)), float(retry), float(reset))

    def _down(self, exc: BaseException) -> None:
        self._metrics.ratelimit_backend_errors.inc()
        log.warning(
            "rate limits: Redis unavailable (%s); limiting in this process only, retrying Redis "
            "in %.0fs",
            exc,
            self.retry_s,
        )
        self._down_until = time.monotonic() + self.retry_s

    async def aclose(self) -> None:
        await self._client.aclose()
