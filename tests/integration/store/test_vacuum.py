"""PostgreSQL: tables past their dead-tuple threshold are vacuumed, the others are not; SQLite
and a threshold of 0 do nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from swarmstack.store import Store
from swarmstack.store.vacuum import dead_tuples, vacuum_dead
from tests.integration.store.test_retention import finished
from tests.support.pg_stats import until_dead, vacuum_counts


async def rewrite_tasks(store: Store, n: int) -> None:
    """`n` finished tasks, then every task row rewritten once more (dead tuples on `tasks`)."""
    await finished(store, n=n)
    async with store.db.write() as conn:
        await conn.execute(text("UPDATE tasks SET priority = priority"))


async def test_tables_past_the_threshold_are_vacuumed_and_no_others(store: Store) -> None:
    if store.db.is_sqlite:
        assert await dead_tuples(store.db) == {}
        assert await vacuum_dead(store.db, 1) == []
        return
    await rewrite_tasks(store, 40)
    assert await until_dead(store, "tasks", 40) >= 40
    before = await vacuum_counts(store)
    vacuumed = await vacuum_dead(store.db, 40)
    after = await vacuum_counts(store)
    assert "tasks" in vacuumed
    assert vacuumed == sorted(vacuumed)
    assert after["tasks"] == before["tasks"] + 1
    assert after["users"] == before["users"]  # below the threshold: left alone
    assert (await dead_tuples(store.db, ["tasks"]))["tasks"] < 40  # VACUUM reports at once
    assert "tasks" not in await vacuum_dead(store.db, 40)


async def test_a_threshold_of_zero_leaves_it_to_autovacuum(store: Store) -> None:
    if store.db.is_sqlite:
        pytest.skip("PostgreSQL's VACUUM")
    await rewrite_tasks(store, 10)
    await until_dead(store, "tasks", 10)
    before = await vacuum_counts(store)
    assert await vacuum_dead(store.db, 0) == []
    assert await vacuum_counts(store) == before
