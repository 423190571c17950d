"""Submitting, idempotency, reading, listing and cancelling, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest

from swarmstack.core.ids import new_task_id
from swarmstack.core.records import NewTask, TaskRecord
from swarmstack.core.states import TaskStatus
from swarmstack.errors import Conflict, NotFound
from swarmstack.store import Store


def new(
    swarm: str = "s",
    *,
    key: str | None = None,
    digest: str | None = None,
    priority: int = 5,
    data: object = None,
) -> NewTask:
    return NewTask(
        new_task_id(),
        swarm,
        data if data is not None else {"n": 1},
        priority,
        3,
        30.0,
        "tester",
        time.time(),
        idempotency_key=key,
        request_hash=digest,
    )


async def test_submit_then_get_round_trips_input(store: Store) -> None:
    [stored] = await store.tasks.submit_many([new(data={"text": "héllo", "n": [1, 2]})])
    assert isinstance(stored, TaskRecord)
    got = await store.tasks.get(stored.id)
    assert got.status is TaskStatus.QUEUED
    assert got.input == {"text": "héllo", "n": [1, 2]}
    assert got.attempts == 0


async def test_same_key_same_request_returns_the_original(store: Store) -> None:
    [first] = await store.tasks.submit_many([new(key="u:k1", digest="h1")])
    [again] = await store.tasks.submit_many([new(key="u:k1", digest="h1")])
    assert isinstance(first, TaskRecord) and isinstance(again, TaskRecord)
    assert again.id == first.id
    page = await store.tasks.list()
    assert [t.id for t in page.items] == [first.id]


async def test_same_key_other_request_is_a_conflict(store: Store) -> None:
    await store.tasks.submit_many([new(key="u:k2", digest="h1")])
    [refused] = await store.tasks.submit_many([new(key="u:k2", digest="h2")])
    assert isinstance(refused, Conflict)


async def test_duplicate_keys_inside_one_batch_dedupe(store: Store) -> None:
    a, b, c = await store.tasks.submit_many(
        [new(key="u:k3", digest="h"), new(key="u:k3", digest="h"), new(key="u:k3", digest="x")]
    )
    assert isinstance(a, TaskRecord) and isinstance(b, TaskRecord)
    assert a.id == b.id
    assert isinstance(c, Conflict)


async def test_get_unknown_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="no task"):
        await store.tasks.get("t_missing")


async def test_list_filters_and_paginates_newest_first(store: Store) -> None:
    made = []
    for i in range(5):
        [t] = await store.tasks.submit_many([new("a" if i % 2 else "b")])
        assert isinstance(t, TaskRecord)
        made.append(t.id)
    first = await store.tasks.list(limit=2)
    assert [t.id for t in first.items] == made[::-1][:2]
    second = await store.tasks.list(limit=2, cursor=first.next_cursor)
    assert [t.id for t in second.items] == made[::-1][2:4]
    only_a = await store.tasks.list(swarm="a")
    assert {t.swarm for t in only_a.items} == {"a"}
    assert len(only_a.items) == 2
    assert (await store.tasks.list(status="succeeded")).items == []


async def test_cancel_queued_then_cancel_again_conflicts(store: Store) -> None:
    [t] = await store.tasks.submit_many([new()])
    assert isinstance(t, TaskRecord)
    cancelled = await store.tasks.cancel(t.id, time.time(), "tester")
    assert cancelled.status is TaskStatus.CANCELLED
    with pytest.raises(Conflict, match="already cancelled"):
        await store.tasks.cancel(t.id, time.time(), "tester")
    events = await store.events.after(t.id)
    assert [e.type for e in events] == ["cancelled"]


async def test_queue_depth_counts_queued_per_swarm(store: Store) -> None:
    await store.tasks.submit_many([new("a"), new("a"), new("b")])
    assert await store.tasks.queue_depth() == {"a": 2, "b": 1}
