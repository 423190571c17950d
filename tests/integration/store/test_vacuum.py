"""PostgreSQL: tables past their dead-tuple threshold are vacuumed, the others are not; tables
past autovacuum's ANALYZE threshold are analysed when asked, and then the statistics catalog is
vacuumed where the server's autovacuum is off; SQLite and a threshold of 0 do nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from swarmstack.store import Store
from swarmstack.store.vacuum import TableStats, analyze_due, dead_tuples, table_stats, vacuum_dead
from tests.integration.store.test_retention import finished
from tests.support.pg_stats import (
    analyze_counts,
    catalog_vacuums,
    until_dead,
    until_modified,
    vacuum_counts,
)


async def rewrite_tasks(store: Store, n: int) -> None:
    """`n` finished tasks, then every task row rewritten once more (dead tuples on `tasks`)."""
    await finished(store, n=n)
    async with store.db.write() as conn:
        await conn.execute(text("UPDATE tasks SET priority = priority"))


async def test_tables_past_the_threshold_are_vacuumed_and_no_others(store: Store) -> None:
    if store.db.is_sqlite:
        assert await dead_tuples(store.db) == {}
        assert await table_stats(store.db) == {}
        done = await vacuum_dead(store.db, 1, analyze=True)
        assert (done.vacuumed, done.analyzed, done.catalog) == ([], [], False)
        return
    await rewrite_tasks(store, 40)
    assert await until_dead(store, "tasks", 40) >= 40
    before = await vacuum_counts(store)
    analyzed = await analyze_counts(store)
    done = await vacuum_dead(store.db, 40)
    vacuumed = done.vacuumed
    after = await vacuum_counts(store)
    assert done.analyzed == [] and not done.catalog  # not asked to analyse
    assert await analyze_counts(store) == analyzed
    assert "tasks" in vacuumed
    assert vacuumed == sorted(vacuumed)
    assert after["tasks"] == before["tasks"] + 1
    assert after["users"] == before["users"]  # below the threshold: left alone
    assert (await dead_tuples(store.db, ["tasks"]))["tasks"] < 40  # VACUUM reports at once
    assert "tasks" not in (await vacuum_dead(store.db, 40)).vacuumed


async def test_a_threshold_of_zero_leaves_it_to_autovacuum(store: Store) -> None:
    if store.db.is_sqlite:
        pytest.skip("PostgreSQL's VACUUM")
    await rewrite_tasks(store, 10)
    await until_dead(store, "tasks", 10)
    before = await vacuum_counts(store)
    assert (await vacuum_dead(store.db, 0, analyze=True)).vacuumed == []
    assert await vacuum_counts(store) == before


def test_a_table_is_due_for_analyze_by_autovacuums_rule() -> None:
    # 50 rows + 10 % of the live ones (autovacuum_analyze_threshold, _scale_factor)
    assert not analyze_due(TableStats(dead=0, live=0, modified=49))
    assert analyze_due(TableStats(dead=0, live=0, modified=50))
    assert not analyze_due(TableStats(dead=0, live=10_000, modified=1_049))
    assert analyze_due(TableStats(dead=0, live=10_000, modified=1_050))


async def test_tables_due_are_analysed_then_the_catalog_vacuumed_where_autovacuum_is_off(
    store: Store,
) -> None:
    if store.db.is_sqlite:
        pytest.skip("PostgreSQL's ANALYZE")
    async with store.db.write() as conn:
        await conn.execute(text("ANALYZE"))  # every table starts afresh
    await finished(store, n=60)  # 60 inserts since: past 50 + 10 % of the live rows
    stats = await until_modified(store, "tasks", 60)
    assert analyze_due(stats)
    async with store.db.read() as conn:
        autovacuum_off = (await conn.execute(text("SHOW autovacuum"))).scalar() == "off"
    before, catalog_before = await analyze_counts(store), await catalog_vacuums(store)
    done = await vacuum_dead(store.db, 10_000, analyze=True)  # no table has that many dead
    assert done.vacuumed == []
    assert "tasks" in done.analyzed
    assert "users" not in done.analyzed  # untouched since it was created
    after = await analyze_counts(store)
    assert after["tasks"] == before["tasks"] + 1
    assert after["users"] == before["users"]
    # the tests connect as a superuser, so the catalog is vacuumed exactly where the server
    # would not do it by itself
    assert done.catalog is autovacuum_off
    assert await catalog_vacuums(store) == catalog_before + (1 if autovacuum_off else 0)
    again = await vacuum_dead(store.db, 10_000, analyze=True)
    assert "tasks" not in again.analyzed  # nothing modified since
