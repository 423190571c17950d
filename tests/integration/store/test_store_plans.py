"""The prune, compaction, claim and queue-cap queries use an index on both backends (EXPLAIN),
and SQLite returns pruned pages to the OS (auto_vacuum=INCREMENTAL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from swarmstack.core.retention import Scope
from swarmstack.store import Store
from swarmstack.store import retention as sql
from swarmstack.store.clock import db_now
from swarmstack.store.pruner import Pruner
from swarmstack.store.tables import tasks
from swarmstack.store.tasks import count_queued_query

EVERYONE = Scope(None)


def claim_query() -> Any:
    return (
        select(tasks.c.id)
        .where(tasks.c.status == "queued", tasks.c.swarm.in_(["s"]), tasks.c.run_at <= db_now())
        .order_by(tasks.c.priority.desc(), tasks.c.run_at, tasks.c.id)
        .limit(100)
    )


QUERIES = {
    "prune": lambda: sql.pick(sql.due_terms(EVERYONE, ["succeeded"], 86400), 500),
    "prune-other": lambda: sql.pick(
        sql.due_terms(Scope(None, frozenset({"x"})), ["cancelled", "timed_out"], 86400), 500
    ),
    "compact": lambda: sql.pick(sql.compact_terms(EVERYONE, 3600), 500),
    "keys": lambda: sql.pick(sql.key_terms(EVERYONE, 86400), 500),
    "claim": claim_query,
    "queue-cap": lambda: count_queued_query("k_1a2b3c", 10_000),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_queries_use_an_index(store: Store, name: str) -> None:
    async with store.db.write() as conn:
        compiled = QUERIES[name]().compile(
            conn.sync_connection, compile_kwargs={"literal_binds": True}
        )
        if store.db.is_sqlite:
            plan = [r[-1] for r in await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
        else:
            # Empty tables make a sequential scan cheapest; forbid it to see what can be used.
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = [r[0] for r in await conn.execute(text(f"EXPLAIN {compiled}"))]
    joined = "\n".join(plan)
    assert "INDEX" in joined.upper(), joined
    assert "SCAN tasks\n" not in joined + "\n" and "Seq Scan" not in joined, joined


async def test_sqlite_files_vacuum_incrementally(store: Store) -> None:
    if not store.db.is_sqlite:
        pytest.skip("PostgreSQL reclaims space with autovacuum")
    async with store.db.write() as conn:
        assert (await conn.execute(text("PRAGMA auto_vacuum"))).scalar() == 2
        await conn.execute(text("CREATE TABLE filler (x TEXT)"))
        await conn.execute(text("INSERT INTO filler VALUES (:x)"), [{"x": "x" * 4000}] * 300)
    async with store.db.write() as conn:
        await conn.execute(text("DROP TABLE filler"))
    async with store.db.read() as conn:
        before = (await conn.execute(text("PRAGMA freelist_count"))).scalar()
    await Pruner(store.db).vacuum()
    async with store.db.read() as conn:
        after = (await conn.execute(text("PRAGMA freelist_count"))).scalar()
    assert before is not None and before >= 300
    assert after == 0


async def test_postgresql_tables_vacuum_early(store: Store) -> None:
    if store.db.is_sqlite:
        pytest.skip("SQLite has no autovacuum settings")
    async with store.db.read() as conn:
        query = text("SELECT reloptions FROM pg_class WHERE relname = 'task_events'")
        options = (await conn.execute(query)).scalar()
    assert "autovacuum_vacuum_scale_factor=0.02" in options
