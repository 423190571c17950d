"""Task data is sealed at rest on both backends: no plaintext in any sealed column, plain rows
from before encryption still read, a moved or foreign value never reads as garbage, and the
start-up check stops a node without the store's keys."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select, update

from swarmstack.core.ids import WorkerId, new_task_id
from swarmstack.core.records import NewTask, Outcome, OutcomeKind, TaskRecord
from swarmstack.errors import DecryptionFailed, SettingsError
from swarmstack.security.crypto import Keyring, kid_of, parse_key
from swarmstack.store import Store, check_keys, open_store
from swarmstack.store.claims import UNREADABLE_DELAY_S
from swarmstack.store.sealed import SEALED_COLUMNS, stored_kids
from swarmstack.store.tables import tasks
from tests.support.keys import OTHER_KEY, TEST_KEY

W = WorkerId("w")
MARKER = "MARKER-4f1c-plaintext"
KEY, OTHER = parse_key(TEST_KEY, "t"), parse_key(OTHER_KEY, "t")


def new(data: Any = None, session: str | None = None) -> NewTask:
    return NewTask(
        new_task_id(),
        "s",
        data if data is not None else {"text": MARKER},
        5,
        2,
        30.0,
        "t",
        time.time(),
        session=session,
        session_policy="enqueue",
    )


async def run_everything(store: Store) -> list[str]:
    """A success with a trace and session messages, a retried failure, a cancel, step events."""
    first, second, third = await store.tasks.submit_many(
        [new(session="chat"), new(), new({"other": MARKER})]
    )
    assert isinstance(first, TaskRecord) and isinstance(second, TaskRecord)
    assert isinstance(third, TaskRecord)
    claimed = {t.id: t for t in await store.claims.claim(W, ["s"], 10, time.time(), 30)}
    assert claimed[first.id].input == {"text": MARKER}
    await store.events.append([(first.id, "step", {"said": MARKER}, time.time())])
    messages = [{"role": "user", "content": MARKER}, {"role": "assistant", "content": "ok"}]
    now = time.time()
    await store.claims.record(
        [
            Outcome(
                first.id,
                W,
                1,
                OutcomeKind.SUCCEEDED,
                now,
                result={"echo": MARKER},
                trace=[{"step": MARKER}],
                usage={"total_tokens": 3},
                session_messages=messages,
                session_keep=10,
            ),
            Outcome(second.id, W, 1, OutcomeKind.FAILED, now, error=f"boom {MARKER}"),
        ]
    )
    await store.tasks.cancel(third.id, time.time(), MARKER)
    return [first.id, second.id, third.id]


async def raw_values(store: Store) -> list[str]:
    found: list[str] = []
    async with store.db.read() as conn:
        for table, columns in SEALED_COLUMNS.items():
            for row in await conn.execute(select(*columns).select_from(table)):
                found += [v for v in row if v is not None]
    return found


async def test_no_sealed_column_holds_plaintext_and_everything_reads_back(store: Store) -> None:
    first, second, third = await run_everything(store)
    stored = await raw_values(store)
    assert len(stored) >= 12
    assert all(kid_of(v) == store.keyring.current_kid for v in stored), stored
    assert not [v for v in stored if MARKER in v]
    done = await store.tasks.get(first)
    assert (done.input, done.result, done.trace) == (
        {"text": MARKER},
        {"echo": MARKER},
        [{"step": MARKER}],
    )
    assert done.usage == {"total_tokens": 3}  # plain: counts only, see store.sealed
    retried = await store.tasks.get(second)
    assert retried.error == f"boom {MARKER}"
    assert retried.attempt_errors[0]["error"] == f"boom {MARKER}"
    assert (await store.tasks.get(third)).error == f"cancelled by {MARKER}"
    events = await store.events.after(first)
    assert {"said": MARKER} in [e.data for e in events]
    history = await store.sessions.history("chat", 10)
    assert history[0] == {"role": "user", "content": MARKER}
    assert await stored_kids(store.db) == {store.keyring.current_kid}


async def test_plain_rows_from_before_encryption_still_read(store_url: str, store: Store) -> None:
    plain = await open_store(store_url, keyring=Keyring())
    try:
        [old] = await plain.tasks.submit_many([new()])
        assert isinstance(old, TaskRecord)
        raw = await raw_values(plain)
        assert f'{{"text":"{MARKER}"}}' in raw
    finally:
        await plain.close()
    [fresh] = await store.tasks.submit_many([new()])
    assert isinstance(fresh, TaskRecord)
    both = await store.tasks.get_many([old.id, fresh.id])
    assert [t.input for t in both] == [{"text": MARKER}] * 2
    await check_keys(store.db, store.keyring)  # plain values need no key


async def test_a_value_moved_to_another_column_is_an_error_not_garbage(store: Store) -> None:
    first, *_ = await run_everything(store)
    async with store.db.write() as conn:
        await conn.execute(update(tasks).where(tasks.c.id == first).values(error=tasks.c.result))
    with pytest.raises(DecryptionFailed, match=r"tasks\.error"):
        await store.tasks.get(first)


async def test_a_node_without_the_stores_key_is_stopped_at_start(
    store_url: str, store: Store
) -> None:
    await run_everything(store)
    kid = store.keyring.current_kid
    for wrong in (Keyring(OTHER), Keyring(), Keyring(None, [OTHER])):
        with pytest.raises(SettingsError) as caught:
            await check_keys(store.db, wrong)
        assert f"key id(s) {kid}" in str(caught.value)
        assert "missing or wrong encryption key" in str(caught.value)
    await check_keys(store.db, Keyring(OTHER, [KEY]))  # rotated: the old key still opens
    await check_keys(store.db, Keyring(None, [KEY]))  # encryption off, old values readable


async def test_a_task_this_node_cannot_decrypt_goes_back_to_the_queue(
    store_url: str, store: Store
) -> None:
    foreign = await open_store(store_url, keyring=Keyring(OTHER))
    try:
        [alien] = await foreign.tasks.submit_many([new()])
    finally:
        await foreign.close()
    [mine] = await store.tasks.submit_many([new()])
    assert isinstance(alien, TaskRecord) and isinstance(mine, TaskRecord)
    claimed = await store.claims.claim(W, ["s"], 10, time.time(), 30)
    assert [t.id for t in claimed] == [mine.id]
    async with store.db.read() as conn:
        row = (
            await conn.execute(
                select(tasks.c.status, tasks.c.attempts, tasks.c.lease_owner).where(
                    tasks.c.id == alien.id
                )
            )
        ).one()
    assert (row.status, row.attempts, row.lease_owner) == ("queued", 0, None)
    assert await store.claims.claim(W, ["s"], 10, time.time(), 30) == []  # waits its delay
    assert UNREADABLE_DELAY_S >= 10
    with pytest.raises(DecryptionFailed, match="does not have"):
        await store.tasks.get(alien.id)


async def test_an_unreadable_stored_task_fails_only_its_own_idempotent_submit(
    store_url: str, store: Store
) -> None:
    foreign = await open_store(store_url, keyring=Keyring(OTHER))
    try:
        await foreign.tasks.submit_many([replace(new(), idempotency_key="k1")])
    finally:
        await foreign.close()
    again, other = await store.tasks.submit_many([replace(new(), idempotency_key="k1"), new()])
    assert isinstance(again, DecryptionFailed) and isinstance(other, TaskRecord)
