"""The store's connections: write transactions, cancellation while another process holds
SQLite's write lock, and how faults are translated."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from swarmstack.errors import StoreConflict, StoreRefused, StoreUnavailable
from swarmstack.store.engine import Database
from tests.support.net import free_port


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}")
    async with db.write() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
    yield db
    await db.dispose()


def _lock_from_another_process(path: str) -> sqlite3.Connection:
    """A second connection (as another process would be) holding the write lock."""
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    return blocker


async def _rows(db: Database) -> list[int]:
    async with db.read() as conn:
        return [r[0] for r in await conn.execute(text("SELECT x FROM t ORDER BY x"))]


@pytest.mark.parametrize("cancels", [1, 2, 3])
async def test_a_write_cancelled_while_waiting_for_the_lock_leaves_nothing_behind(
    sqlite_db: Database, tmp_path: Path, cancels: int
) -> None:
    reported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    blocker = _lock_from_another_process(str(tmp_path / "engine.db"))

    async def insert() -> None:
        async with sqlite_db.write() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))

    waiting = asyncio.create_task(insert())
    await asyncio.sleep(0.2)  # now inside BEGIN IMMEDIATE, in the driver's thread
    began = time.monotonic()
    for _ in range(cancels):
        waiting.cancel()
        await asyncio.sleep(0.01)
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert time.monotonic() - began < 1.0  # the caller did not wait for the lock
    blocker.rollback()
    blocker.close()

    async with sqlite_db.write() as conn:  # the writer connection came back to the pool
        await conn.execute(text("INSERT INTO t VALUES (2)"))
    assert await _rows(sqlite_db) == [2]  # the cancelled write wrote nothing
    await sqlite_db.dispose()
    gc.collect()
    await asyncio.sleep(0)
    assert not [c for c in reported if "destroyed" in str(c.get("message"))], reported


async def _insert_then_fail(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("the caller's own fault")


async def _insert_twice(db: Database, first: int, second: int) -> None:
    async with db.write() as conn:
        await conn.execute(text(f"INSERT INTO engine_t VALUES ({first})"))
        await conn.execute(text(f"INSERT INTO engine_t VALUES ({second})"))


async def test_a_script_cancelled_while_waiting_for_the_lock_finishes_in_the_background(
    sqlite_db: Database, tmp_path: Path
) -> None:
    blocker = _lock_from_another_process(str(tmp_path / "engine.db"))
    waiting = asyncio.create_task(sqlite_db.sqlite_script("INSERT INTO t VALUES (7);"))
    await asyncio.sleep(0.2)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    blocker.rollback()
    blocker.close()
    await sqlite_db.dispose()  # waits for the script that outlived its caller
    assert await _rows(sqlite_db) == [7]


async def test_a_failing_body_rolls_back_and_the_next_write_goes_on(sqlite_db: Database) -> None:
    with pytest.raises(RuntimeError):
        await _insert_then_fail(sqlite_db)
    async with sqlite_db.write() as conn:
        await conn.execute(text("INSERT INTO t VALUES (3)"))
    assert await _rows(sqlite_db) == [3]


async def test_a_fault_at_commit_is_translated_and_rolled_back(store_url: str) -> None:
    db = Database(store_url)
    try:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE engine_t (x INTEGER PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO engine_t VALUES (1)"))
        with pytest.raises(StoreConflict, match="duplicate key"):
            await _insert_twice(db, 2, 1)
        async with db.read() as conn:
            found = [r[0] for r in await conn.execute(text("SELECT x FROM engine_t"))]
        assert found == [1]
    finally:
        async with db.write() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS engine_t"))
        await db.dispose()


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("nobody_here_x@127.0.0.1:5432/postgres", 'role "nobody_here_x" does not exist'),
        ("postgres@127.0.0.1:5432/no_such_database_x", 'database "no_such_database_x" does'),
    ],
)
async def test_a_database_that_refuses_the_connection_is_a_settings_fault(
    path: str, said: str
) -> None:
    """It used to be "the store refused a value ... a swarmstack bug, please report it" (and a
    data fault, so a worker would have blamed the rows of its batch)."""
    db = Database(f"postgresql+asyncpg://{path}")
    try:
        with pytest.raises(StoreRefused) as caught:
            await db.ping()
    finally:
        await db.dispose()
    assert isinstance(caught.value, StoreUnavailable)  # in flight: an outage, retried
    assert said in caught.value.message and "swarmstack bug" not in str(caught.value)
    assert "SWARMSTACK_STORE__URL" in (caught.value.fix or "")


async def test_nothing_listening_says_to_start_the_server_or_fix_host_and_port() -> None:
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/x")
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await db.ping()
    finally:
        await db.dispose()
    assert not isinstance(caught.value, StoreRefused)
    assert "start the database server" in (caught.value.fix or "")
