"""Sessions: reject, enqueue and interrupt on conflict; bounded history; on both backends."""

from __future__ import annotations

import time

from swarmstack.core.ids import WorkerId, new_task_id
from swarmstack.core.records import NewTask, Outcome, OutcomeKind, TaskRecord
from swarmstack.core.states import TaskStatus
from swarmstack.errors import Conflict
from swarmstack.store import Store

W = WorkerId("w")


def new(session: str, policy: str) -> NewTask:
    return NewTask(
        new_task_id(),
        "s",
        {"q": 1},
        5,
        1,
        30.0,
        "t",
        time.time(),
        session=session,
        session_policy=policy,
    )


async def test_reject_refuses_a_second_task_while_one_is_active(store: Store) -> None:
    [first] = await store.tasks.submit_many([new("chat-1", "reject")])
    [second] = await store.tasks.submit_many([new("chat-1", "reject")])
    [other] = await store.tasks.submit_many([new("chat-2", "reject")])
    assert isinstance(first, TaskRecord)
    assert isinstance(second, Conflict)
    assert "busy" in second.message
    assert isinstance(other, TaskRecord)


async def test_enqueue_runs_session_tasks_one_at_a_time_in_order(store: Store) -> None:
    stored = await store.tasks.submit_many([new("c", "enqueue") for _ in range(3)])
    ids = [t.id for t in stored if isinstance(t, TaskRecord)]
    [running] = await store.claims.claim(W, ["s"], 10, time.time(), 30)
    assert running.id == ids[0]
    assert await store.claims.claim(W, ["s"], 10, time.time(), 30) == []
    await store.claims.record(
        [Outcome(running.id, W, 1, OutcomeKind.SUCCEEDED, time.time(), result="a")]
    )
    [next_one] = await store.claims.claim(W, ["s"], 10, time.time(), 30)
    assert next_one.id == ids[1]


async def test_interrupt_cancels_the_running_task(store: Store) -> None:
    [first] = await store.tasks.submit_many([new("c", "interrupt")])
    assert isinstance(first, TaskRecord)
    [running] = await store.claims.claim(W, ["s"], 10, time.time(), 30)
    [second] = await store.tasks.submit_many([new("c", "interrupt")])
    assert isinstance(second, TaskRecord)
    old = await store.tasks.get(first.id)
    assert old.status is TaskStatus.CANCELLED
    assert second.id in (old.error or "")
    assert (
        await store.claims.record([Outcome(running.id, W, 1, OutcomeKind.SUCCEEDED, time.time())])
        == []
    )
    ids, _ = await store.events.cancelled_since(0)
    assert ids == [first.id]


async def test_history_is_appended_with_outcomes_and_bounded(store: Store) -> None:
    for i in range(4):
        await store.tasks.submit_many([new("h", "enqueue")])
        [task] = await store.claims.claim(W, ["s"], 1, time.time(), 30)
        messages = [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]
        await store.claims.record(
            [
                Outcome(
                    task.id,
                    W,
                    1,
                    OutcomeKind.SUCCEEDED,
                    time.time(),
                    session_messages=messages,
                    session_keep=5,
                )
            ]
        )
    history = await store.sessions.history("h", 100)
    assert [m["content"] for m in history] == ["a1", "q2", "a2", "q3", "a3"]
    assert [m["content"] for m in await store.sessions.history("h", 2)] == ["q3", "a3"]
