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
    first = after_failure(policy, 1, retryable=True)
    assert first.status is TaskStatus.QUEUED
    assert first.delay_s == 5.0
    assert after_failure(policy, 2, retryable=True).delay_s == 10.0
    assert after_failure(policy, 3, retryable=True).status is TaskStatus.FAILED


def test_permanent_errors_are_not_retried() -> None:
    verdict = after_failure(RetryPolicy(), 1, retryable=False, final=TaskStatus.BUDGET_EXCEEDED)
    assert verdict.status is TaskStatus.BUDGET_EXCEEDED
    assert verdict.delay_s is None


def test_zero_retries_means_one_attempt() -> None:
    assert RetryPolicy(retry_attempts=0).max_attempts == 1
    assert (
        after_failure(RetryPolicy(retry_attempts=0), 1, retryable=True).status is TaskStatus.FAILED
    )


def test_a_longer_retry_after_replaces_the_backoff() -> None:
    policy = RetryPolicy(retry_attempts=3, retry_delay_s=5, jitter=0, max_delay_s=300)
    assert after_failure(policy, 1, retryable=True, retry_after_s=45).delay_s == 45
    assert after_failure(policy, 1, retryable=True, retry_after_s=1).delay_s == 5


def test_retry_after_is_capped_at_the_policy_maximum() -> None:
    policy = RetryPolicy(retry_attempts=3, retry_delay_s=5, jitter=0, max_delay_s=60)
    assert after_failure(policy, 1, retryable=True, retry_after_s=86_400).delay_s == 60


def test_retry_after_never_adds_attempts() -> None:
    policy = RetryPolicy(retry_attempts=1, retry_delay_s=5, jitter=0)
    verdict = after_failure(policy, 2, retryable=True, retry_after_s=10)
    assert verdict.status is TaskStatus.FAILED
