"""Retry policy: exponential backoff with jitter, up to `retry_attempts` retries. Pure."""

from __future__ import annotations

import random
from dataclasses import dataclass

from swarmstack.core.states import TaskStatus
from swarmstack.spec.runtime import Runtime


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and whether a failed attempt runs again."""

    retry_attempts: int = 3
    retry_delay_s: float = 5.0
    backoff: float = 2.0
    max_delay_s: float = 300.0
    jitter: float = 0.2

    @classmethod
    def of(cls, runtime: Runtime) -> RetryPolicy:
        """The policy a swarm's `runtime` section describes."""
        return cls(
            runtime.retry_attempts,
            runtime.retry_delay,
            runtime.retry_backoff,
            runtime.retry_max_delay,
            runtime.retry_jitter,
        )

    @property
    def max_attempts(self) -> int:
        """First attempt plus retries."""
        return self.retry_attempts + 1

    def delay_s(self, attempt: int, rand: random.Random | None = None) -> float:
        """Delay before attempt `attempt + 1`, after `attempt` (1-based) failed."""
        base = min(self.retry_delay_s * self.backoff ** (attempt - 1), self.max_delay_s)
        spread = base * self.jitter
        return max(0.0, base + (rand or random).uniform(-spread, spread))


@dataclass(frozen=True, slots=True)
class AttemptVerdict:
    """What follows a failed attempt: a retry after `delay_s` seconds, or a final status."""

    status: TaskStatus
    delay_s: float | None = None


def after_failure(
    policy: RetryPolicy,
    attempt: int,
    *,
    retryable: bool,
    final: TaskStatus = TaskStatus.FAILED,
    retry_after_s: float | None = None,
    rand: random.Random | None = None,
) -> AttemptVerdict:
    """The one retry decision, used for every failed attempt (a worker's outcome and an
    expired lease alike).

    Re-queue while attempts remain and the error is retryable, else `final`. The delay is the
    policy's backoff (`delay_s`), or the provider's requested wait (`retry_after_s`, from an
    HTTP `Retry-After` / `retry-after-ms`, RFC 9110 section 10.2.3) when that is longer, capped
    at `policy.max_delay_s` so a hostile header cannot park a task for ever. Seconds.
    """
    if not retryable or attempt >= policy.max_attempts:
        return AttemptVerdict(final)
    delay = policy.delay_s(attempt, rand)
    if retry_after_s is not None and retry_after_s > delay:
        delay = min(retry_after_s, policy.max_delay_s)
    return AttemptVerdict(TaskStatus.QUEUED, delay)
