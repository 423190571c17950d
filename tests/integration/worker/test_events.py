"""The worker's event buffer: a flush returns only once every event emitted before it is stored,
in the order emitted, even while another flush is still writing (both backends)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url

from swarmstack.store import Store
from swarmstack.worker.events import EventBuffer


@asynccontextmanager
async def events_table_held(store: Store) -> AsyncIterator[None]:
    """Another client holds what an insert into task_events needs until the block ends."""
    url = make_url(store.db.url)
    if store.db.is_sqlite:
        other = sqlite3.connect(str(url.database), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the write lock: our writers wait for it
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    conn = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        async with conn.transaction():
            await conn.execute("LOCK TABLE task_events IN EXCLUSIVE MODE")
            yield
    finally:
        await conn.close()


async def stored(store: Store, task_id: str) -> list[str]:
    return [e.data["n"] for e in await store.events.after(task_id)]


async def test_a_flush_waits_for_the_one_under_way_and_keeps_the_order(store: Store) -> None:
    buffer = EventBuffer(store, interval_s=3600)
    emit = buffer.sink("t_1")
    for n in ("1", "2", "3"):
        emit("step_finished", {"n": n})
    async with events_table_held(store):
        first = asyncio.create_task(buffer.flush())  # as the periodic flush: it now waits
        await asyncio.sleep(0.3)
        emit("step_finished", {"n": "4"})
        second = asyncio.create_task(buffer.flush())  # as a flush before recording an outcome
        await asyncio.sleep(0.3)
        assert not second.done()  # it may not return before the events emitted before it
    await asyncio.wait_for(second, 30)
    assert first.done()
    assert await stored(store, "t_1") == ["1", "2", "3", "4"]


async def test_a_flush_with_nothing_new_still_waits_for_the_one_under_way(store: Store) -> None:
    buffer = EventBuffer(store, interval_s=3600)
    buffer.sink("t_2")("step_finished", {"n": "1"})
    async with events_table_held(store):
        first = asyncio.create_task(buffer.flush())
        await asyncio.sleep(0.3)
        second = asyncio.create_task(buffer.flush())
        await asyncio.sleep(0.3)
        assert not second.done()
    await asyncio.wait_for(second, 30)
    assert first.done() and await stored(store, "t_2") == ["1"]
