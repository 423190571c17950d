"""Claims, leases, outcomes (first wins), retries, dead letter and the sweeper."""

from __future__ import annotations

import random
import time

from swarmstack.core.ids import TaskId, WorkerId, new_task_id
from swarmstack.core.records import NewTask, Outcome, OutcomeKind, TaskRecord
from swarmstack.core.retry import RetryPolicy
from swarmstack.core.states import TaskStatus
from swarmstack.store import Store
from tests.support.store_time import travel

W1, W2 = WorkerId("w1"), WorkerId("w2")


async def submit(
    store: Store, n: int = 1, *, priority: int = 5, swarm: str = "s", max_attempts: int = 3
) -> list[TaskId]:
    batch = [
        NewTask(new_task_id(), swarm, {"i": i}, priority, max_attempts, 30.0, "t", time.time())
        for i in range(n)
    ]
    stored = await store.tasks.submit_many(batch)
    return [s.id for s in stored if isinstance(s, TaskRecord)]


def ok(task: TaskRecord, worker: WorkerId = W1, result: object = "done") -> Outcome:
    return Outcome(
        task.id,
        worker,
        task.attempts,
        OutcomeKind.SUCCEEDED,
        time.time(),
        result=result,
        started_at=time.time(),
    )


def failed(
    task: TaskRecord, *, retryable: bool = True, kind: OutcomeKind = OutcomeKind.FAILED
) -> Outcome:
    return Outcome(task.id, W1, task.attempts, kind, time.time(), error="boom", retryable=retryable)


async def test_claim_is_exclusive_and_bounded(store: Store) -> None:
    await submit(store, 5)
    first = await store.claims.claim(W1, ["s"], 3, time.time(), 30)
    second = await store.claims.claim(W2, ["s"], 10, time.time(), 30)
    assert len(first) == 3
    assert len(second) == 2
    assert not {t.id for t in first} & {t.id for t in second}
    assert all(t.status is TaskStatus.RUNNING and t.attempts == 1 for t in first)
    assert await store.claims.claim(W2, ["s"], 10, time.time(), 30) == []


async def test_claims_follow_priority_then_age(store: Store) -> None:
    low = await submit(store, priority=0)
    high = await submit(store, priority=10)
    normal = await submit(store, priority=5)
    order = [t.id for t in await store.claims.claim(W1, ["s"], 3, time.time(), 30)]
    assert order == high + normal + low


async def test_claims_only_take_the_named_swarms(store: Store) -> None:
    await submit(store, swarm="other")
    assert await store.claims.claim(W1, ["s"], 10, time.time(), 30) == []


async def test_first_outcome_wins(store: Store) -> None:
    await submit(store)
    [task] = await store.claims.claim(W1, ["s"], 1, time.time(), 30)
    applied = await store.claims.record([ok(task, result="first")])
    assert [a.status for a in applied] == [TaskStatus.SUCCEEDED]
    assert await store.claims.record([ok(task, result="second")]) == []
    got = await store.tasks.get(task.id)
    assert got.result == "first"
    assert [e.type for e in await store.events.after(task.id)] == ["started", "succeeded"]


async def test_a_batch_applies_each_task_once_whatever_it_reports(store: Store) -> None:
    await submit(store, 4)
    a, b, c, d = sorted(await store.claims.claim(W1, ["s"], 4, time.time(), 30), key=lambda t: t.id)
    batch = [
        ok(a, result="a1"),
        ok(a, result="a2"),  # reported twice in one batch: the first wins
        failed(b, retryable=False),
        ok(b, result="late"),  # its failure came first in the batch
        ok(c, worker=W2),  # W2 never held c's lease
        ok(d, result="d"),
    ]
    applied = await store.claims.record(batch)
    assert sorted((x.outcome.task_id, x.status) for x in applied) == sorted(
        [(a.id, TaskStatus.SUCCEEDED), (b.id, TaskStatus.FAILED), (d.id, TaskStatus.SUCCEEDED)]
    )
    assert (await store.tasks.get(a.id)).result == "a1"
    assert (await store.tasks.get(b.id)).status is TaskStatus.FAILED
    assert (await store.tasks.get(c.id)).status is TaskStatus.RUNNING
    assert (await store.tasks.get(d.id)).result == "d"
    for task, last in ((a, "succeeded"), (b, "failed"), (d, "succeeded")):
        assert [e.type for e in await store.events.after(task.id)] == ["started", last]


async def test_a_task_shows_each_failed_attempt_however_it_ended(store: Store) -> None:
    store.claims.policies["s"] = RetryPolicy(retry_attempts=2, retry_delay_s=0, jitter=0)
    [first_time, then_ok, failing] = await submit(store, 3)
    assert (await store.tasks.get(first_time)).attempt_errors == []  # queued, never tried
    claimed = {t.id: t for t in await store.claims.claim(W1, ["s"], 3, time.time(), 30)}
    await store.claims.record([ok(claimed[first_time]), failed(claimed[then_ok])])
    await store.claims.record([failed(claimed[failing], retryable=False)])
    [again] = await store.claims.claim(W1, ["s"], 3, time.time(), 30)
    await store.claims.record([ok(again)])
    assert (await store.tasks.get(first_time)).attempt_errors == []
    retried = await store.tasks.get(then_ok)
    assert (retried.status, retried.attempts) == (TaskStatus.SUCCEEDED, 2)
    assert [(a["attempt"], a["error"]) for a in retried.attempt_errors] == [(1, "boom")]
    dead = await store.tasks.get(failing)
    assert (dead.status, [a["attempt"] for a in dead.attempt_errors]) == (TaskStatus.FAILED, [1])


async def test_outcome_from_a_worker_without_the_lease_is_ignored(store: Store) -> None:
    await submit(store)
    [task] = await store.claims.claim(W1, ["s"], 1, time.time(), 30)
    assert await store.claims.record([ok(task, worker=W2)]) == []
    assert (await store.tasks.get(task.id)).status is TaskStatus.RUNNING


async def test_retry_with_backoff_then_dead_letter_keeps_every_error(store: Store) -> None:
    store.claims.policies["s"] = RetryPolicy(retry_attempts=2, retry_delay_s=0, jitter=0)
    await submit(store, max_attempts=3)
    for attempt in (1, 2, 3):
        [task] = await store.claims.claim(W1, ["s"], 1, time.time() + 1, 30)
        assert task.attempts == attempt
        [applied] = await store.claims.record([failed(task)])
        assert applied.status is (TaskStatus.FAILED if attempt == 3 else TaskStatus.QUEUED)
    dead = await store.tasks.get(task.id)
    assert dead.status is TaskStatus.FAILED
    assert [a["attempt"] for a in dead.attempt_errors] == [1, 2, 3]
    assert all(a["error"] == "boom" for a in dead.attempt_errors)


async def test_backoff_delays_the_next_claim(store: Store) -> None:
    store.claims.policies["s"] = RetryPolicy(retry_attempts=1, retry_delay_s=60, jitter=0)
    store.claims.rand = random.Random(1)
    await submit(store, max_attempts=2)
    [task] = await store.claims.claim(W1, ["s"], 1, time.time(), 30)
    await store.claims.record([failed(task)])
    assert await store.claims.claim(W1, ["s"], 1, time.time(), 30) == []
    await travel(store, 59)
    assert await store.claims.claim(W1, ["s"], 1, time.time(), 30) == []
    await travel(store, 2)
    assert len(await store.claims.claim(W1, ["s"], 1, time.time(), 30)) == 1


async def test_permanent_failure_and_budget_are_final(store: Store) -> None:
    await submit(store, 2)
    a, b = await store.claims.claim(W1, ["s"], 2, time.time(), 30)
    applied = await store.claims.record(
        [failed(a, retryable=False), failed(b, retryable=False, kind=OutcomeKind.BUDGET_EXCEEDED)]
    )
    assert {x.status for x in applied} == {TaskStatus.FAILED, TaskStatus.BUDGET_EXCEEDED}


async def test_cancel_running_task_blocks_its_late_outcome(store: Store) -> None:
    await submit(store)
    [task] = await store.claims.claim(W1, ["s"], 1, time.time(), 30)
    await store.tasks.cancel(task.id, time.time(), "op")
    assert await store.claims.record([ok(task)]) == []
    assert await store.claims.heartbeat(W1, [task.id], time.time(), 30) == set()
    ids, _ = await store.events.cancelled_since(0)
    assert ids == [task.id]


async def test_heartbeat_extends_leases_so_the_sweeper_leaves_them(store: Store) -> None:
    store.claims.policies["s"] = RetryPolicy(retry_attempts=2, retry_delay_s=0, jitter=0)
    await submit(store)
    now = time.time()
    [task] = await store.claims.claim(W1, ["s"], 1, now, 5)
    await travel(store, 4)
    assert await store.claims.heartbeat(W1, [task.id], now, 5) == {task.id}
    assert await store.claims.heartbeat(W2, [task.id], now, 5) == set()
    await travel(store, 2)  # past the first lease, within the renewed one
    assert await store.claims.sweep(now) == []
    await travel(store, 4)
    swept = await store.claims.sweep(now)
    assert swept == [("s", TaskStatus.QUEUED)]
    again = await store.claims.claim(W2, ["s"], 1, now, 5)
    assert [t.attempts for t in again] == [2]
    assert await store.claims.record([ok(task)]) == []


async def test_sweeper_fails_a_task_whose_attempts_are_used_up(store: Store) -> None:
    await submit(store, max_attempts=1)
    now = time.time()
    [task] = await store.claims.claim(W1, ["s"], 1, now, 1)
    await travel(store, 2)
    assert await store.claims.sweep(now) == [("s", TaskStatus.FAILED)]
    dead = await store.tasks.get(task.id)
    assert dead.status is TaskStatus.FAILED
    assert "lease" in (dead.error or "")


async def test_release_gives_tasks_back_without_using_an_attempt(store: Store) -> None:
    await submit(store, 2)
    claimed = await store.claims.claim(W1, ["s"], 2, time.time(), 30)
    assert await store.claims.release(W1, [t.id for t in claimed], time.time()) == 2
    again = await store.claims.claim(W2, ["s"], 2, time.time(), 30)
    assert sorted(t.attempts for t in again) == [1, 1]
