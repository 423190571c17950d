"""The lease sweeper re-queues a lost worker's task by the retry rule, and records the attempt
with the version it ran on."""

from __future__ import annotations

import time

from swarmstack.core.retry import RetryPolicy
from swarmstack.core.states import TaskStatus
from swarmstack.store import Store
from swarmstack.store.sweeper import sweep
from tests.integration.store.test_claims import W1, submit
from tests.support.store_time import travel


async def test_an_expired_lease_is_requeued_and_its_attempt_kept(store: Store) -> None:
    store.claims.policies["s"] = RetryPolicy(retry_attempts=2, retry_delay_s=0, jitter=0)
    await submit(store)
    [task] = await store.claims.claim(W1, ["s"], 1, time.time(), 1)
    assert await sweep(store.claims, time.time()) == []  # the lease still runs
    await travel(store, 2)
    assert await sweep(store.claims, time.time()) == [("s", TaskStatus.QUEUED)]
    got = await store.tasks.get(task.id)
    assert got.status is TaskStatus.QUEUED
    assert [(a["status"], a["worker"]) for a in got.attempt_errors] == [("lease_expired", "w1")]
