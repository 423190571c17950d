"""Pooled PostgreSQL connections are checked before use: by default at every checkout, so a
broken one is replaced unseen; with `ping_after_idle` only after sitting idle, so a connection
in steady use costs no ping and one that breaks in steady use fails one statement
(StoreUnavailable) before the pool connects afresh."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from swarmstack.errors import StoreUnavailable
from swarmstack.store.engine import Database
from swarmstack.store.pool_ping import IdlePing

Opener = Callable[[float], Database]


@pytest.fixture
async def open_db(pg_url: str) -> AsyncIterator[Opener]:
    opened: list[Database] = []

    def opener(ping_after_idle: float) -> Database:
        db = Database(pg_url, pool_size=2, max_overflow=0, ping_after_idle=ping_after_idle)
        opened.append(db)
        return db

    yield opener
    for db in opened:
        await db.dispose()


async def backend_pid(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate(pg_url: str, pid: int) -> None:
    admin = await asyncpg.connect(
        make_url(pg_url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


def checks(db: Database) -> IdlePing:
    assert db.idle_ping is not None
    return db.idle_ping


async def test_a_connection_in_steady_use_is_not_pinged(open_db: Opener) -> None:
    db = open_db(5.0)
    pids = {await backend_pid(db) for _ in range(20)}
    async with db.write() as conn:
        await conn.execute(text("SELECT 1"))
    assert len(pids) == 1
    assert checks(db).pings == 0


async def test_an_idle_connection_is_pinged_before_use(open_db: Opener) -> None:
    db = open_db(0.05)
    first = await backend_pid(db)
    await asyncio.sleep(0.15)
    assert await backend_pid(db) == first
    assert (checks(db).pings, checks(db).replaced) == (1, 0)


async def test_an_idle_connection_that_broke_is_replaced_unseen(
    open_db: Opener, pg_url: str
) -> None:
    db = open_db(0.05)
    first = await backend_pid(db)
    await terminate(pg_url, first)
    await asyncio.sleep(0.15)
    assert await backend_pid(db) != first  # no error reached the caller
    assert checks(db).replaced == 1


async def test_a_connection_that_broke_in_steady_use_fails_one_statement(
    open_db: Opener, pg_url: str
) -> None:
    db = open_db(60.0)
    first = await backend_pid(db)
    await terminate(pg_url, first)
    with pytest.raises(StoreUnavailable):
        await backend_pid(db)
    assert await backend_pid(db) != first
    assert checks(db).pings == 0


async def test_by_default_every_use_is_checked_and_a_broken_connection_replaced(
    open_db: Opener, pg_url: str
) -> None:
    db = open_db(0.0)
    first = await backend_pid(db)
    await terminate(pg_url, first)
    assert await backend_pid(db) != first  # at once, no error reached the caller
    assert (checks(db).pings, checks(db).replaced) == (1, 1)  # new connections need none


def test_sqlite_has_no_pool_to_check(tmp_path: object) -> None:
    assert Database(f"sqlite+aiosqlite:///{tmp_path}/s.db").idle_ping is None
