"""New task rows, inserted at the driver's level on SQLite and through SQLAlchemy on
PostgreSQL, hold the same values on both backends."""

from __future__ import annotations

import time

from sqlalchemy import select

from swarmstack.core.ids import new_task_id
from swarmstack.core.records import NewTask
from swarmstack.store import Store
from swarmstack.store.tables import tasks
from swarmstack.store.task_rows import COLUMNS


async def test_a_submitted_row_holds_every_column_as_given(store: Store) -> None:
    now = time.time()
    task = NewTask(
        new_task_id(),
        "echo",
        {"n": 1, "text": "ü\u0000"},
        7,
        3,
        30,  # an int timeout is stored as a float
        "alice",
        now,
        idempotency_key="k_1:key",
        request_hash="h" * 64,
        session="k_1:s",
        version="1.0.0",
        owner="k_1",
        tenant="acme",
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )
    [stored] = await store.tasks.submit_many([task])
    assert not isinstance(stored, Exception)
    async with store.db.read() as conn:
        row = (await conn.execute(select(tasks).where(tasks.c.id == task.id))).one()._mapping
    expected = {
        "id": task.id,
        "swarm": "echo",
        "version": "1.0.0",
        "status": "queued",
        "priority": 7,
        "attempts": 0,
        "max_attempts": 3,
        "timeout_s": 30.0,
        "idempotency_key": "k_1:key",
        "request_hash": "h" * 64,
        "session": "k_1:s",
        "submitted_by": "alice",
        "owner": "k_1",
        "tenant": "acme",
        "traceparent": task.traceparent,
        "created_at": now,
        "events_compacted": False,
    }
    assert {c: row[c] for c in COLUMNS if c != "input"} == expected
    assert isinstance(row["timeout_s"], float)
    assert abs(row["run_at"] - time.time()) < 60  # the database's clock
    assert (row["result"], row["error"], row["started_at"], row["lease_owner"]) == (None,) * 4
    assert (await store.tasks.get(task.id)).input == {"n": 1, "text": "ü\u0000"}


async def test_a_batch_inserts_every_row_in_one_statement(store: Store) -> None:
    now = time.time()
    batch = [NewTask(new_task_id(), "echo", i, 5, 1, 30.0, "bob", now) for i in range(300)]
    results = await store.tasks.submit_many(batch)
    assert [r.id for r in results if not isinstance(r, Exception)] == [t.id for t in batch]
    got = await store.tasks.get_many([t.id for t in batch])
    assert sorted(t.input for t in got) == list(range(300))
