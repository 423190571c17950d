"""Buckets on a real Redis: the Lua script's arithmetic, sharing, expiry, NOSCRIPT, and what
happens while Redis is down."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from swarmstack.metrics import Metrics
from swarmstack.security.ratelimit import Limit
from swarmstack.server.buckets import RedisBuckets
from tests.support.redis_server import REDIS_URL, RedisServer


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test alone on the shared Redis; its keys deleted afterwards."""
    name = f"swarmstack_test:{secrets.token_hex(4)}:"
    yield name
    client = aioredis.Redis.from_url(REDIS_URL)
    keys = await client.keys(name + "*")
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_the_script_does_the_arithmetic_of_take(prefix: str) -> None:
    buckets = RedisBuckets(REDIS_URL, Metrics(), prefix)
    limit = Limit(rate=0.2, burst=5)  # a token every 5 s: no refill decides a take here
    began = time.monotonic()
    decisions = [await buckets.take("k", limit) for _ in range(6)]
    spent = time.monotonic() - began  # at least what the bucket refilled meanwhile, in s
    await buckets.aclose()
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    refused = decisions[-1]
    # five seconds per token, less what refilled since the first take (however loaded the host)
    assert 5.0 - spent - 0.01 <= refused.retry_after_s <= 5.0
    assert 25.0 - spent - 0.01 <= refused.reset_s <= 25.0  # the whole bucket, five tokens


async def test_two_managers_share_one_bucket(prefix: str) -> None:
    a = RedisBuckets(REDIS_URL, Metrics(), prefix)
    b = RedisBuckets(REDIS_URL, Metrics(), prefix)
    limit = Limit(rate=0.5, burst=4)
    answers = await asyncio.gather(*[(a if i % 2 else b).take("k", limit) for i in range(10)])
    await a.aclose()
    await b.aclose()
    assert sum(d.allowed for d in answers) == 4


async def test_a_bucket_expires_once_it_would_be_full_again(prefix: str) -> None:
    buckets = RedisBuckets(REDIS_URL, Metrics(), prefix)
    await buckets.take("k", Limit(rate=1.0, burst=3))
    client = aioredis.Redis.from_url(REDIS_URL)
    ttl_ms = await client.pttl(prefix + "k")
    await client.aclose()
    await buckets.aclose()
    assert 1000 < ttl_ms <= 2000  # one token to refill (1 s), plus a second of slack


async def test_the_script_is_loaded_again_after_redis_forgets_it(
    redis_server: RedisServer,
) -> None:
    buckets = RedisBuckets(redis_server.url, Metrics())
    limit = Limit(rate=1.0, burst=10)
    assert (await buckets.take("k", limit)).remaining == 9
    client = aioredis.Redis.from_url(redis_server.url)
    await client.script_flush()
    assert (await buckets.take("k", limit)).remaining == 8  # NOSCRIPT, loaded, same bucket
    assert await client.script_exists(buckets._script.sha) == [True]
    await client.aclose()
    await buckets.aclose()


async def test_while_redis_is_down_limits_hold_in_this_process_and_the_api_stays_up(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = Metrics()
    buckets = RedisBuckets(redis_server.url, metrics)
    buckets.retry_s = 0.2
    limit = Limit(rate=0.01, burst=3)
    assert (await buckets.take("k", limit)).remaining == 2
    redis_server.stop()
    with caplog.at_level(logging.WARNING):
        during = [await buckets.take("k", limit) for _ in range(4)]
    assert [d.allowed for d in during] == [True, True, True, False]  # a fresh local bucket
    assert "Redis unavailable" in caplog.text and "in this process only" in caplog.text
    assert metrics.ratelimit_backend_errors._value.get() == 1  # then paused, not retried
    redis_server.start()  # empty: the shared bucket starts full again
    await asyncio.sleep(0.3)
    assert (await buckets.take("k", limit)).remaining == 2  # back on Redis
    await buckets.aclose()
