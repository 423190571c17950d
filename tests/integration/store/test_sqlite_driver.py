"""The one-trip SQLite cursor under SQLAlchemy: the same rows, counts, ids and faults as the
stock adapter, in one trip to the driver's thread per statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from swarmstack.errors import StoreConflict
from swarmstack.store.engine import Database
from swarmstack.store.sqlite_driver import OneTripCursor


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with db.write() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield db
    await db.dispose()


async def test_rows_counts_ids_and_returning_match_sqlite(db: Database) -> None:
    async with db.write() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        many = await conn.execute(
            text("INSERT INTO t (name) VALUES (:n)"), [{"n": "b"}, {"n": "c"}, {"n": "d"}]
        )
        assert many.rowcount == 3
        changed = await conn.execute(
            text("UPDATE t SET name = upper(name) WHERE id > 1 RETURNING id, name")
        )
        assert sorted(changed.all()) == [(2, "B"), (3, "C"), (4, "D")]
        counted = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id < 3"))
        assert counted.rowcount == 2
    async with db.read() as conn:
        none = await conn.execute(text("SELECT id, name FROM t WHERE id > 99"))
        assert list(none.keys()) == ["id", "name"] and none.all() == []
        first = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert first == ["a!", "B!", "C", "D"]


async def test_a_fault_keeps_its_kind_and_the_transaction_rolls_back(db: Database) -> None:
    async def clash() -> None:
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('x')"))
            await conn.execute(text("INSERT INTO t (name) VALUES ('x')"))

    with pytest.raises(StoreConflict):
        await clash()
    async with db.read() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_a_statement_takes_one_trip_to_the_driver_thread(db: Database) -> None:
    trips: list[Any] = []
    async with db.write() as conn:
        raw = await conn.get_raw_connection()
        cursor = raw.dbapi_connection.cursor()  # type: ignore[union-attr]
        assert isinstance(cursor, OneTripCursor)
        driver: Any = raw.driver_connection
        real = driver._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            trips.append(fn)
            return await real(fn, *args, **kwargs)

        driver._execute = counted
        try:
            await conn.execute(text("INSERT INTO t (name) VALUES ('one')"))
            rows = (await conn.execute(text("SELECT id, name FROM t"))).all()
        finally:
            driver._execute = real
    assert rows == [(1, "one")]
    assert len(trips) == 2  # one per statement (the stock adapter makes four)
