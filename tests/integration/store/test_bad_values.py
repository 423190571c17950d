"""Values a backend cannot store: refused names, agent output stored safely or failed with a
reason, and one bad row never failing its batch-mates. The same on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import pytest

from swarmstack.core.ids import new_task_id
from swarmstack.core.records import NewTask, Outcome, OutcomeKind, TaskRecord
from swarmstack.core.states import TaskStatus
from swarmstack.errors import NotFound, StoreRejected
from swarmstack.store import Store
from tests.integration.store.test_claims import W1, failed, ok, submit


def new_task(**fields: Any) -> NewTask:
    base = NewTask(new_task_id(), "s", {"i": 1}, 5, 3, 30.0, "t", time.time())
    return NewTask(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, **fields})


@pytest.mark.parametrize(
    "bad",
    [
        {"session": "a\x00b"},
        {"session": "a\ud800b"},
        {"idempotency_key": "k\x00"},
        {"swarm": "s\x00"},
        {"session": "s" * 251},  # PostgreSQL enforces VARCHAR(n), SQLite does not: both refuse
        {"idempotency_key": "k" * 301},
        {"swarm": "s" * 65},
        {"submitted_by": "p" * 81},
    ],
)
async def test_a_refused_name_fails_alone_and_its_batch_mates_are_stored(
    store: Store, bad: dict[str, Any]
) -> None:
    batch = [new_task(), new_task(**bad), new_task()]
    first, refused, last = await store.tasks.submit_many(batch)
    assert isinstance(refused, StoreRejected)
    assert "U+" in refused.message or "at most" in refused.message
    assert isinstance(first, TaskRecord)
    assert isinstance(last, TaskRecord)
    assert {t.id for t in await store.tasks.get_many([first.id, last.id])} == {first.id, last.id}


async def test_nul_in_input_json_round_trips(store: Store) -> None:
    [stored] = await store.tasks.submit_many([new_task(input={"text": "a\x00b"})])
    assert isinstance(stored, TaskRecord)
    assert (await store.tasks.get(stored.id)).input == {"text": "a\x00b"}


async def test_an_agent_error_with_nul_is_stored_with_a_replacement(store: Store) -> None:
    await submit(store)
    [task] = await store.claims.claim(W1, ["s"], 1, time.time(), 30)
    outcome = failed(task, retryable=False)
    outcome = Outcome(**{**_fields(outcome), "error": "bad byte \x00 here \ud800"})
    [applied] = await store.claims.record([outcome])
    assert applied.status is TaskStatus.FAILED
    got = await store.tasks.get(task.id)
    assert got.error == "bad byte \ufffd here \ufffd"
    assert got.attempt_errors[0]["error"] == "bad byte \ufffd here \ufffd"


@pytest.mark.parametrize(
    ("result", "stored"),
    [
        ("a\x00b", "a\x00b"),  # JSON escapes NUL as \u0000
        ({"k\x00": ["\x00"]}, {"k\x00": ["\x00"]}),
        ("a\ud800b", "a\ufffdb"),  # a lone surrogate has no UTF-8 form: replaced
    ],
)
async def test_agent_results_with_unstorable_characters_are_stored_safely(
    store: Store, result: Any, stored: Any
) -> None:
    await submit(store)
    [task] = await store.claims.claim(W1, ["s"], 1, time.time(), 30)
    [applied] = await store.claims.record([ok(task, result=result)])
    assert applied.status is TaskStatus.SUCCEEDED
    assert (await store.tasks.get(task.id)).result == stored


@pytest.mark.parametrize("result", [float("nan"), float("inf"), object(), {1, 2}])
async def test_a_result_json_cannot_hold_fails_the_task_with_a_reason_and_spares_the_batch(
    store: Store, result: Any
) -> None:
    await submit(store, 3)
    a, b, c = await store.claims.claim(W1, ["s"], 3, time.time(), 30)
    applied = await store.claims.record([ok(a), ok(b, result=result), ok(c)])
    assert {x.outcome.task_id: x.status for x in applied} == {
        a.id: TaskStatus.SUCCEEDED,
        b.id: TaskStatus.FAILED,
        c.id: TaskStatus.SUCCEEDED,
    }
    bad = await store.tasks.get(b.id)
    assert bad.status is TaskStatus.FAILED
    assert "could not be stored" in (bad.error or "")
    assert "Fix:" in (bad.error or "")


async def test_session_messages_with_nul_are_stored_with_a_replacement(store: Store) -> None:
    [stored] = await store.tasks.submit_many([new_task(session="chat-1")])
    assert isinstance(stored, TaskRecord)
    [task] = await store.claims.claim(W1, ["s"], 1, time.time(), 30)
    outcome = Outcome(
        **{
            **_fields(ok(task)),
            "session_messages": [
                {"role": "user", "content": "hi\x00"},
                {"role": "assistant", "content": "yo\ud800"},
            ],
        }
    )
    await store.claims.record([outcome])
    history = await store.sessions.history("chat-1", 10)
    assert [m["content"] for m in history] == ["hi\ufffd", "yo\ufffd"]


async def test_an_event_json_cannot_hold_is_replaced_and_its_neighbours_kept(store: Store) -> None:
    [t] = await submit(store)
    now = time.time()
    await store.events.append(
        [
            (t, "step", {"n": 1}, now),
            (t, "step", {"n": float("nan")}, now),
            (t, "x" * 100, {"n": 3}, now),
            (t, "step", {"n": 4, "text": "\x00\ud800"}, now),
        ]
    )
    events = await store.events.after(t)
    assert [e.type for e in events] == ["step", "unstorable-event", "unstorable-event", "step"]
    assert events[0].data == {"n": 1}
    assert "JSON" in events[1].data["reason"]
    assert events[3].data == {"n": 4, "text": "\x00\ufffd"}


def _fields(outcome: Outcome) -> dict[str, Any]:
    return {f: getattr(outcome, f) for f in outcome.__dataclass_fields__}


def test_outcome_kinds_cover_every_final_status() -> None:
    assert {k.value for k in OutcomeKind} <= {s.value for s in TaskStatus}


@pytest.mark.parametrize("task_id", ["t_\x00", "t_\ud800", "t_" + "x" * 60])
async def test_an_id_no_task_can_have_is_not_found_on_both_backends(
    store: Store, task_id: str
) -> None:
    with pytest.raises(NotFound):
        await store.tasks.get(task_id)
    with pytest.raises(NotFound):
        await store.tasks.cancel(task_id, time.time(), "op")
    assert await store.events.after(task_id) == []
