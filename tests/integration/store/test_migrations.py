"""The Alembic migrations produce exactly the schema the code defines, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from swarmstack.store import Store, open_store
from swarmstack.store.migrate import alembic_config
from swarmstack.store.tables import metadata


async def test_migrations_equal_models(store: Store) -> None:
    def diff(sync_conn: Any) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(sync_conn), metadata))

    async with store.db.read() as conn:
        assert await conn.run_sync(diff) == []


async def test_migrating_twice_is_a_no_op(store_url: str) -> None:
    first = await open_store(store_url)
    await first.close()
    second = await open_store(store_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    async with second.db.read() as conn:
        current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    await second.close()
    assert [row[0] for row in current] == [head]
