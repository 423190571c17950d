"""In-process buckets on a fake clock: the arithmetic of `take`, and bounded memory."""

from __future__ import annotations

from swarmstack.security.ratelimit import Limit
from swarmstack.server.buckets import LocalBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_each_key_has_its_own_bucket() -> None:
    clock = Clock()
    buckets = LocalBuckets(clock=clock)
    limit = Limit(1.0, 2)
    assert [(await buckets.take("a", limit)).allowed for _ in range(3)] == [True, True, False]
    assert (await buckets.take("b", limit)).allowed
    clock.now += 1.0
    assert (await buckets.take("a", limit)).allowed
    assert not (await buckets.take("a", limit)).allowed


async def test_refilled_buckets_are_forgotten_without_changing_an_answer() -> None:
    clock = Clock()
    buckets = LocalBuckets(clock=clock)
    limit = Limit(10.0, 5)
    for i in range(100):
        await buckets.take(f"idle-{i}", limit)
    assert len(buckets) == 100
    clock.now += 1.0  # every idle bucket is full again
    for _ in range(30):
        await buckets.take("busy", limit)
    assert len(buckets) == 1 + 100 - 2 * 30  # two refilled buckets forgotten per call
    for _ in range(30):
        await buckets.take("busy", limit)
    assert len(buckets) == 1
    forgotten = await buckets.take("idle-1", limit)  # as if it had been kept: full
    assert forgotten.allowed and forgotten.remaining == 4


async def test_past_max_buckets_the_least_recently_used_go_first() -> None:
    clock = Clock()
    buckets = LocalBuckets(max_buckets=50, clock=clock)
    limit = Limit(0.001, 1)  # nothing refills during the test
    for i in range(200):
        await buckets.take(f"source-{i}", limit)
    assert len(buckets) == 50
    assert not (await buckets.take("source-199", limit)).allowed  # recent: kept
    assert (await buckets.take("source-0", limit)).allowed  # oldest: forgotten, so full
