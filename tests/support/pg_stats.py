"""PostgreSQL's statistics as tests read them: manual VACUUMs and dead tuples per table."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import text

from swarmstack.store import Store
from swarmstack.store.vacuum import TableStats, table_stats


async def vacuum_counts(store: Store) -> dict[str, int]:
    """Manual VACUUMs so far per table (PostgreSQL's own statistics)."""
    return await _counts(store, "vacuum_count")


async def analyze_counts(store: Store) -> dict[str, int]:
    """Manual ANALYZEs so far per table of the store."""
    return await _counts(store, "analyze_count")


async def _counts(store: Store, column: str) -> dict[str, int]:
    async with store.db.read() as conn:
        found = await conn.execute(
            text(
                f"SELECT relname, {column} FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema()"
            )
        )
        return {r[0]: int(r[1]) for r in found}


async def catalog_vacuums(store: Store) -> int:
    """Manual VACUUMs so far of the statistics catalog, pg_statistic."""
    async with store.db.read() as conn:
        found = await conn.execute(
            text("SELECT vacuum_count FROM pg_stat_sys_tables WHERE relname = 'pg_statistic'")
        )
        return int(found.scalar_one())


async def until_dead(store: Store, table: str, at_least: int) -> int:
    """Dead tuples of `table` once the statistics show `at_least` (they lag by about 1 s)."""
    return (await _until(store, table, lambda s: s.dead >= at_least)).dead


async def until_modified(store: Store, table: str, at_least: int) -> TableStats:
    """`table`'s counts once the statistics show `at_least` rows modified since its last ANALYZE
    (they lag by about 1 s)."""
    return await _until(store, table, lambda s: s.modified >= at_least)


async def _until(store: Store, table: str, done: Callable[[TableStats], bool]) -> TableStats:
    """`table`'s counts once `done` holds for them, or as they are after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        found = (await table_stats(store.db, [table])).get(table, TableStats(0, 0, 0))
        if done(found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)
