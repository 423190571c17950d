"""Races between writers: the first outcome wins, events included; concurrent duplicate
Idempotency-Keys from two managers; two managers installing the same key."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from swarmstack.core.ids import new_task_id
from swarmstack.core.records import NewTask, TaskRecord
from swarmstack.core.retry import RetryPolicy
from swarmstack.core.states import TaskStatus
from swarmstack.errors import Conflict, SwarmstackError
from swarmstack.store import Store, open_store
from tests.integration.store.test_claims import W1, ok, submit
from tests.support.keys import keyring_of_tests
from tests.support.store_time import travel

ROUNDS = 20


@pytest.fixture
async def other(store: Store, store_url: str) -> AsyncIterator[Store]:
    """A second store on the same database: what a second manager or the leader holds."""
    second = await open_store(store_url, keyring=keyring_of_tests())
    try:
        yield second
    finally:
        await second.close()


async def _event_types(store: Store, task_id: str) -> list[str]:
    return [e.type for e in await store.events.after(task_id)]


async def test_sweeper_and_success_race_leaves_exactly_one_story(
    store: Store, other: Store
) -> None:
    other.claims.policies["s"] = RetryPolicy(retry_attempts=2, retry_delay_s=0, jitter=0)
    await submit(store, ROUNDS)
    claimed = await store.claims.claim(W1, ["s"], ROUNDS, time.time(), 1)
    await travel(store, 2)  # every lease has expired: the sweeper may take any of them
    await asyncio.gather(
        *(store.claims.record([ok(t)]) for t in claimed), other.claims.sweep(time.time())
    )
    for task in claimed:
        got = await store.tasks.get(task.id)
        types = await _event_types(store, task.id)
        if got.status is TaskStatus.SUCCEEDED:
            assert types == ["started", "succeeded"]
            assert got.attempt_errors == []
        else:
            assert got.status is TaskStatus.QUEUED
            assert types == ["started", "retrying"]
            assert [a["status"] for a in got.attempt_errors] == ["lease_expired"]


async def test_cancel_and_success_race_leaves_exactly_one_outcome(
    store: Store, other: Store
) -> None:
    await submit(store, ROUNDS)
    claimed = await store.claims.claim(W1, ["s"], ROUNDS, time.time(), 30)

    async def cancel(task_id: str) -> None:
        with contextlib.suppress(Conflict):  # the success was recorded first
            await other.tasks.cancel(task_id, time.time(), "op")

    await asyncio.gather(
        *(store.claims.record([ok(t)]) for t in claimed), *(cancel(t.id) for t in claimed)
    )
    for task in claimed:
        got = await store.tasks.get(task.id)
        outcomes = [t for t in await _event_types(store, task.id) if t != "started"]
        assert outcomes == [got.status.value]
        assert got.status in (TaskStatus.SUCCEEDED, TaskStatus.CANCELLED)


async def test_cancelling_a_finished_task_is_a_conflict_and_writes_no_event(store: Store) -> None:
    await submit(store)
    [task] = await store.claims.claim(W1, ["s"], 1, time.time(), 30)
    await store.claims.record([ok(task)])
    with pytest.raises(Conflict, match="already succeeded"):
        await store.tasks.cancel(task.id, time.time(), "op")
    assert await _event_types(store, task.id) == ["started", "succeeded"]


def _keyed(key: str, body: str) -> NewTask:
    return NewTask(
        new_task_id(),
        "s",
        {"body": body},
        5,
        3,
        30.0,
        "t",
        time.time(),
        idempotency_key=key,
        request_hash=body,
    )


def _plain() -> NewTask:
    return NewTask(new_task_id(), "s", {"x": 1}, 5, 3, 30.0, "t", time.time())


async def test_two_managers_with_one_idempotency_key_store_one_task(
    store: Store, other: Store
) -> None:
    answers = await asyncio.gather(
        *(
            (store if i % 2 else other).tasks.submit_many([_plain(), _keyed(f"k{i // 2}", "a")])
            for i in range(ROUNDS)
        )
    )
    by_key: dict[str, set[str]] = {}
    for plain, keyed in answers:
        assert isinstance(plain, TaskRecord), plain
        assert isinstance(keyed, TaskRecord), keyed
        assert keyed.idempotency_key is not None
        by_key.setdefault(keyed.idempotency_key, set()).add(keyed.id)
    assert all(len(ids) == 1 for ids in by_key.values())
    page = await store.tasks.list(limit=1000)
    assert len(page.items) == ROUNDS + ROUNDS // 2


async def test_two_managers_with_one_key_and_different_bodies_get_one_409(
    store: Store, other: Store
) -> None:
    results = await asyncio.gather(
        store.tasks.submit_many([_keyed("same", "a"), _plain()]),
        other.tasks.submit_many([_keyed("same", "b"), _plain()]),
    )
    keyed: list[TaskRecord | SwarmstackError] = [r[0] for r in results]
    assert sorted(type(r).__name__ for r in keyed) == ["Conflict", "TaskRecord"]
    assert all(isinstance(r[1], TaskRecord) for r in results)


async def test_two_managers_installing_the_same_key_at_once_agree(
    store: Store, other: Store
) -> None:
    now = time.time()
    first, second = await asyncio.gather(
        store.keys.add("ssk_same", "admin", "admin", now),
        other.keys.add("ssk_same", "admin", "admin", now),
    )
    assert first.id == second.id
    assert await store.keys.count() == 1


async def test_heartbeats_outcomes_and_the_sweeper_never_deadlock(
    store: Store, other: Store
) -> None:
    """Writers that lock several task rows in one transaction take them in id order, so a
    heartbeat, an outcome batch in another order and the sweeper never deadlock (PostgreSQL
    would abort one with 40P01, which surfaced as a failed heartbeat)."""
    other.claims.policies["s"] = RetryPolicy(retry_attempts=2, retry_delay_s=0, jitter=0)
    for _ in range(5):
        await submit(store, 60)
        claimed = await store.claims.claim(W1, ["s"], 60, time.time(), 30)
        ids = [t.id for t in claimed]
        halves = [claimed[i::2] for i in range(2)]
        await asyncio.gather(
            *(store.claims.heartbeat(W1, ids[::step], time.time(), 30) for step in (1, -1)),
            *(other.claims.record([ok(t) for t in reversed(h)]) for h in halves),
            other.claims.sweep(time.time()),
            store.claims.heartbeat(W1, ids, time.time(), 30),
        )
        assert {(await store.tasks.get(i)).status for i in ids} == {TaskStatus.SUCCEEDED}
