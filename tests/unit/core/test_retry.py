"""Retry policy: exponential backoff, cap, jitter bounds, and the retry/final verdict."""

from __future__ import annotations

import random

import pytest

from swarmstack.core.retry import RetryPolicy, after_failure
from swarmstack.core.states import TaskStatus


def test_backoff_doubles_and_caps_without_jitter() -> None:
    policy = RetryPolicy(retry_attempts=10, retry_delay_s=1, backoff=2, max_delay_s=5, jitter=0)
    assert [policy.delay_s(a) for a in range(1, 6)] == [1, 2, 4, 5, 5]


@pytest.mark.parametrize("attempt", [1, 2, 3, 4])
def test_jitter_stays_within_its_fraction(attempt: int) -> None:
    policy = RetryPolicy(retry_attempts=5, retry_delay_s=2, backoff=2, jitter=0.25)
    base = 2 * 2 ** (attempt - 1)
    rand = random.Random(attempt)
    delays = [policy.delay_s(attempt, rand) for _ in range(200)]
    assert all(base * 0.75 <= d <= base * 1.25 for d in delays)
    assert len(set(delays)) > 1


def test_retry_until_attempts_are_used_up() -> None:
    policy = RetryPolicy(retry_attempts=2, retry_delay_s=5, jitter=0)
    now = 1000.0
    first = after_failure(policy, 1, now, retryable=True)
    assert first.status is TaskStatus.QUEUED
    assert first.run_at == 1005.0
    assert after_failure(policy, 2, now, retryable=True).run_at == 1010.0
    assert after_failure(policy, 3, now, retryable=True).status is TaskStatus.FAILED


def test_permanent_errors_are_not_retried() -> None:
    verdict = after_failure(
        RetryPolicy(), 1, 0.0, retryable=False, final=TaskStatus.BUDGET_EXCEEDED
    )
    assert verdict.status is TaskStatus.BUDGET_EXCEEDED
    assert verdict.run_at is None


def test_zero_retries_means_one_attempt() -> None:
    assert RetryPolicy(retry_attempts=0).max_attempts == 1
    assert (
        after_failure(RetryPolicy(retry_attempts=0), 1, 0.0, retryable=True).status
        is TaskStatus.FAILED
    )
