"""`keys rotate-data`'s pass on both backends: everything ends under the current key, no read
fails while it runs, and a value a node writes meanwhile is never overwritten."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select, update

from swarmstack.core.ids import WorkerId, new_task_id
from swarmstack.core.records import NewTask, Outcome, OutcomeKind, TaskRecord
from swarmstack.errors import SettingsError, UnknownKey
from swarmstack.security.crypto import Keyring, key_id, kid_of, parse_key
from swarmstack.store import Store, open_store
from swarmstack.store.reencrypt import Progress, _rewrite, not_current, reencrypt
from swarmstack.store.sealed import SEALED_COLUMNS
from swarmstack.store.tables import tasks
from tests.support.keys import OTHER_KEY, TEST_KEY

W = WorkerId("w")
OLD, NEW = parse_key(OTHER_KEY, "t"), parse_key(TEST_KEY, "t")


def new(n: int, session: str | None = None) -> NewTask:
    return NewTask(new_task_id(), "s", {"n": n}, 5, 1, 30.0, "t", time.time(), session=session)


async def fill(store: Store, count: int) -> list[str]:
    """`count` finished tasks with results, events and session messages."""
    stored = await store.tasks.submit_many([new(i, session=f"c{i}") for i in range(count)])
    ids = [t.id for t in stored if isinstance(t, TaskRecord)]
    claimed = await store.claims.claim(W, ["s"], count, time.time(), 30)
    await store.claims.record(
        [
            Outcome(
                t.id,
                W,
                1,
                OutcomeKind.SUCCEEDED,
                time.time(),
                result={"n": t.input["n"]},
                session_messages=[{"role": "user", "content": f"hi {t.input['n']}"}],
                session_keep=5,
            )
            for t in claimed
        ]
    )
    return ids


async def opened(store_url: str, keyring: Keyring) -> Store:
    return await open_store(store_url, keyring=keyring)


async def test_a_mixed_store_ends_under_the_current_key(store_url: str, store: Store) -> None:
    plain, old = await opened(store_url, Keyring()), await opened(store_url, Keyring(OLD))
    try:
        ids = await fill(plain, 4) + await fill(old, 4)
    finally:
        await plain.close()
        await old.close()
    ids += await fill(store, 4)  # already under the current key
    rotated = Keyring(NEW, [OLD])
    seen: list[int] = []
    done = await reencrypt(store.db, rotated, batch=3, report=lambda p: seen.append(p.scanned))
    by_table = {p.table: p for p in done}
    assert by_table["tasks"].scanned == 12 and by_table["tasks"].resealed == 16  # input+result
    assert by_table["session_messages"].resealed == 8
    assert all(p.remaining == 0 for p in done) and seen
    async with store.db.read() as conn:
        for table, columns in SEALED_COLUMNS.items():
            for row in await conn.execute(select(*columns).select_from(table)):
                assert all(kid_of(v) == key_id(NEW) for v in row if v is not None)
    reader = await opened(store_url, Keyring(NEW))  # the old key is no longer needed
    try:
        found = sorted(await reader.tasks.get_many(ids), key=lambda t: t.id)
        assert [t.result for t in found] == [{"n": i % 4} for i in range(12)]
    finally:
        await reader.close()
    again = await reencrypt(store.db, rotated)
    assert sum(p.resealed for p in again) == 0


async def test_no_read_fails_while_the_pass_runs(store_url: str, store: Store) -> None:
    old = await opened(store_url, Keyring(OLD))
    try:
        ids = await fill(old, 40)
    finally:
        await old.close()
    node = await opened(store_url, Keyring(NEW, [OLD]))  # a running node that knows both
    reads = failures = 0
    running = True

    async def read_all() -> None:
        nonlocal reads, failures
        while running:
            try:
                found = sorted(await node.tasks.get_many(ids), key=lambda t: t.id)
                assert [t.result for t in found] == [{"n": i} for i in range(40)]
                await node.events.after(ids[0])
                await node.sessions.history("c7", 5)
            except Exception:
                failures += 1
                raise
            reads += 1
            await asyncio.sleep(0)

    reader = asyncio.create_task(read_all())
    try:
        await reencrypt(store.db, Keyring(NEW, [OLD]), batch=4)
        await asyncio.sleep(0.05)
    finally:
        running = False
        await reader
        await node.close()
    assert failures == 0 and reads > 0


async def test_a_value_written_meanwhile_is_not_overwritten(store: Store) -> None:
    [task] = await store.tasks.submit_many([new(1)])
    assert isinstance(task, TaskRecord)
    old = Keyring(OLD)
    async with store.db.write() as conn:
        await conn.execute(
            update(tasks)
            .where(tasks.c.id == task.id)
            .values(input=old.seal('{"n":1}', "tasks.input"))
        )
    async with store.db.read() as conn:
        snapshot = list((await conn.execute(select(tasks.c.id, tasks.c.input))).all())
    written = store.keyring.seal('{"n":2}', "tasks.input")
    async with store.db.write() as conn:  # a node writes between the pass's read and write
        await conn.execute(update(tasks).where(tasks.c.id == task.id).values(input=written))
    progress = Progress("tasks")
    await _rewrite(
        store.db, Keyring(NEW, [OLD]), tasks, tasks.c.id, (tasks.c.input,), snapshot, progress
    )
    assert progress.resealed == 1  # attempted, and refused by the guard
    assert (await store.tasks.get(task.id)).input == {"n": 2}
    assert await not_current(store.db, tasks, (tasks.c.input,), key_id(NEW)) == 0


async def test_a_value_it_cannot_open_stops_the_pass_and_stays_counted(
    store_url: str, store: Store
) -> None:
    await fill(store, 2)
    late = await opened(store_url, Keyring(OLD))
    try:
        await late.tasks.submit_many([new(9)])
    finally:
        await late.close()
    with pytest.raises(UnknownKey, match="does not have"):  # it never writes what it cannot open
        await reencrypt(store.db, Keyring(NEW))
    assert await not_current(store.db, tasks, (tasks.c.input,), key_id(NEW)) == 1


async def test_there_is_nothing_to_re_encrypt_under_with_encryption_off(store: Store) -> None:
    with pytest.raises(SettingsError, match="encryption at rest is off"):
        await reencrypt(store.db, Keyring(None, [NEW]))
