"""Token-bucket arithmetic and the RateLimit header fields, on explicit times."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarmstack.security.ratelimit import (
    Bucket,
    Decision,
    Limit,
    limit_field,
    policy_field,
    retry_after,
    take,
)

TEN_PER_S = Limit(rate=10.0, burst=20)


def run(limit: Limit, times: list[float]) -> list[Decision]:
    bucket: Bucket | None = None
    decisions = []
    for now in times:
        bucket, decision = take(bucket, limit, now)
        decisions.append(decision)
    return decisions


def test_a_missing_bucket_is_full_and_the_burst_passes_at_once() -> None:
    decisions = run(TEN_PER_S, [100.0] * 21)
    assert [d.allowed for d in decisions] == [True] * 20 + [False]
    assert [d.remaining for d in decisions[:3]] == [19, 18, 17]
    assert decisions[19].remaining == 0


def test_a_refused_request_says_when_one_token_is_back_and_takes_nothing() -> None:
    *_, last = run(TEN_PER_S, [0.0] * 21)
    assert (last.allowed, last.remaining) == (False, 0)
    assert (last.retry_after_s, last.reset_s) == pytest.approx((0.1, 2.0))
    bucket = Bucket(0.0, 0.0)
    for _ in range(5):  # refused requests do not dig the bucket deeper
        bucket, decision = take(bucket, TEN_PER_S, 0.05)
        assert not decision.allowed
        assert decision.retry_after_s == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("tokens", "elapsed", "allowed", "remaining", "reset"),
    [
        (0.0, 0.1, True, 0, 2.0),  # one token back after 1/rate
        (0.0, 0.05, False, 0, 1.95),  # half a token is not a token
        (5.0, 0.5, True, 9, 1.1),  # 5 + 5 refilled, one taken
        (19.0, 10.0, True, 19, 0.1),  # refill stops at the burst
        (20.0, 0.0, True, 19, 0.1),
    ],
)
def test_refill_is_rate_times_elapsed_up_to_the_burst(
    tokens: float, elapsed: float, allowed: bool, remaining: int, reset: float
) -> None:
    _, decision = take(Bucket(tokens, 50.0), TEN_PER_S, 50.0 + elapsed)
    assert (decision.allowed, decision.remaining) == (allowed, remaining)
    assert decision.reset_s == pytest.approx(reset)


def test_a_clock_that_steps_back_refills_nothing_and_keeps_the_later_time() -> None:
    bucket, _ = take(Bucket(0.5, 10.0), TEN_PER_S, 5.0)
    assert bucket == Bucket(0.5, 10.0)  # refused: nothing taken, nothing refilled
    bucket, decision = take(bucket, TEN_PER_S, 10.05)
    assert decision.allowed and bucket.tokens == pytest.approx(0.0)


def test_a_steady_client_at_the_rate_is_never_refused() -> None:
    times = [i * 0.1 for i in range(1000)]
    assert all(d.allowed for d in run(TEN_PER_S, times))


def test_twice_the_rate_passes_the_burst_then_half() -> None:
    decisions = run(TEN_PER_S, [i * 0.05 for i in range(400)])  # 20/s for 20 s
    allowed = sum(d.allowed for d in decisions)
    assert 20 + 199 <= allowed <= 20 + 201  # the burst, then 10/s for 19.95 s


@given(
    rate=st.floats(0.01, 1e6),
    burst=st.integers(1, 10_000),
    steps=st.lists(st.floats(0, 100), max_size=50),
)
def test_tokens_stay_between_zero_and_the_burst(
    rate: float, burst: int, steps: list[float]
) -> None:
    limit = Limit(rate, burst)
    bucket, now = None, 0.0
    for step in steps:
        now += step
        bucket, decision = take(bucket, limit, now)
        assert 0.0 <= bucket.tokens <= burst
        assert 0 <= decision.remaining <= burst
        assert decision.allowed == (decision.retry_after_s == 0)
        assert 0.0 <= decision.reset_s <= burst / rate + 1e-9


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 5), (float("inf"), 5), (1.0, 0)])
def test_a_limit_needs_a_positive_rate_and_burst(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        Limit(rate, burst)


@pytest.mark.parametrize(
    ("retry_s", "seconds"), [(0.0, 1), (0.01, 1), (1.0, 1), (1.2, 2), (59.9, 60)]
)
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(
    retry_s: float, seconds: int
) -> None:
    assert retry_after(Decision(False, 0, retry_s, 0.0)) == seconds


def test_header_items_follow_draft_11() -> None:
    assert policy_field("principal", TEN_PER_S) == '"principal";q=20;w=2'
    assert policy_field("source", Limit(5.0, 20)) == '"source";q=20;w=4'
    assert policy_field("slow", Limit(0.1, 1)) == '"slow";q=1;w=10'
    assert policy_field("fast", Limit(1000.0, 10)) == '"fast";q=10;w=1'  # w is at least 1
    allowed = Decision(True, 7, 0.0, 1.3)
    assert limit_field("principal", allowed) == '"principal";r=7;t=2'
    refused = Decision(False, 0, 0.25, 2.0)
    assert limit_field("principal", refused) == '"principal";r=0;t=1'  # t = Retry-After
