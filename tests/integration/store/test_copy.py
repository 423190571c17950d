"""Copies from SQLite to PostgreSQL and back: every row arrives once, an interrupted copy goes on
where it stopped, and a destination with other data is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from swarmstack.errors import Conflict
from swarmstack.store import Store, open_store
from swarmstack.store.backup import write_backup
from swarmstack.store.copy import PROGRESS_TABLE, copy_store
from swarmstack.store.engine import Database
from tests.integration.store.test_backup import digests, filled, restore
from tests.support.keys import keyring_of_tests


class Interrupted(Exception):
    """Stands for ^C or a lost connection in the middle of a copy."""


async def sqlite_store(path: Path) -> Store:
    store = await open_store(f"sqlite+aiosqlite:///{path}", keyring=keyring_of_tests())
    await filled(store)
    return store


async def test_sqlite_to_postgresql_and_back(tmp_path: Path, fresh_pg_url: str) -> None:
    source = await sqlite_store(tmp_path / "a.db")
    pg = Database(fresh_pg_url)
    back = Database(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    try:
        there = await copy_store(source.db, pg)
        assert there.verified and not there.resumed
        assert {t.name: t.target_rows for t in there.tables}["tasks"] == 4
        again = await copy_store(pg, back)
        assert again.verified
        assert await digests(back) == await digests(source.db) == await digests(pg)
        restored = Store(pg, keyring=keyring_of_tests())
        task = (await restored.tasks.list(limit=10)).items[0]
        assert task.input is not None  # sealed values copied as stored open with the same key
    finally:
        await source.close()
        await pg.dispose()
        await back.dispose()


async def test_an_interrupted_copy_goes_on_without_duplicates(
    tmp_path: Path, fresh_pg_url: str
) -> None:
    source = await sqlite_store(tmp_path / "a.db")
    target = Database(fresh_pg_url)
    seen: list[tuple[str, int]] = []

    def stop_in_events(table: str, done: int, _total: int) -> None:
        seen.append((table, done))
        if table == "task_events" and done >= 4:
            raise Interrupted

    try:
        with pytest.raises(Interrupted):
            await copy_store(source.db, target, stop_in_events, batch=2)
        resumed = await copy_store(source.db, target, batch=2)
        assert resumed.resumed and resumed.verified
        assert await digests(target) == await digests(source.db)
        async with target.read() as conn:
            tables = await conn.run_sync(lambda s: s.dialect.get_table_names(s))
        assert PROGRESS_TABLE not in tables  # dropped once verified
    finally:
        await source.close()
        await target.dispose()


async def test_a_destination_with_other_data_is_refused(tmp_path: Path, fresh_pg_url: str) -> None:
    source = await sqlite_store(tmp_path / "a.db")
    other = await sqlite_store(tmp_path / "other.db")
    target = Database(fresh_pg_url)
    try:
        with pytest.raises(Interrupted):
            await copy_store(source.db, target, _stop_at_once)
        with pytest.raises(Conflict, match="unfinished copy from another source"):
            await copy_store(other.db, target)
        assert (await copy_store(source.db, target)).verified
        with pytest.raises(
            Conflict, match=r"already holds data \(in api_keys, task_events, tasks\)"
        ):
            await copy_store(source.db, target)
    finally:
        await source.close()
        await other.close()
        await target.dispose()


def _stop_at_once(_table: str, _done: int, _total: int) -> None:
    raise Interrupted


async def test_a_database_shared_with_another_application(
    tmp_path: Path, fresh_pg_url: str
) -> None:
    """Its tables are neither refused as data, copied, backed up, nor dropped: before, a backup
    of such a store could never be restored and a copy out of it never verified."""
    source = await sqlite_store(tmp_path / "a.db")
    target = Database(fresh_pg_url)
    back = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    try:
        async with target.write() as conn:
            await conn.execute(text("CREATE TABLE invoices (id INT PRIMARY KEY, amount INT)"))
            await conn.execute(text("CREATE TABLE audit_trail (at TEXT, what TEXT)"))  # no key
            await conn.execute(text("INSERT INTO invoices VALUES (1, 5), (2, 7)"))
        assert (await copy_store(source.db, target)).verified
        archive = tmp_path / "b.tar"
        manifest = await write_backup(target, archive, keyring_of_tests(), "test")
        assert "invoices" not in {t.name for t in manifest.tables}
        restored = await restore(archive, back)
        try:
            assert await digests(restored) == await digests(source.db)
        finally:
            await restored.dispose()
        async with target.read() as conn:
            kept = (await conn.execute(text("SELECT sum(amount) FROM invoices"))).scalar()
        assert kept == 12
    finally:
        await source.close()
        await target.dispose()
