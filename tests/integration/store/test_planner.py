"""The statements of a task's life find their rows by id or in index order, never by walking
the backlog: each statement a claim, heartbeat, outcome, release and cancel sends is explained
(EXPLAIN with its own parameters) on a store with a backlog, on both backends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.dialects import postgresql, sqlite

from swarmstack.core.ids import WorkerId, new_task_id
from swarmstack.core.records import NewTask, Outcome, OutcomeKind
from swarmstack.store import Store
from swarmstack.store.planner import unindexed
from swarmstack.store.tables import tasks

W = WorkerId("w1")
BACKLOG = 3000


def test_unindexed_renders_a_unary_plus_on_sqlite_only() -> None:
    statement = update(tasks).where(unindexed(tasks.c.status).in_(["queued"]), tasks.c.id == "x")
    assert "WHERE +tasks.status IN" in str(statement.compile(dialect=sqlite.dialect()))
    assert "WHERE tasks.status IN" in str(statement.compile(dialect=postgresql.dialect()))


@contextmanager
def sent(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """The statements on `tasks` the store sends meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> None:
        if " tasks" in statement and statement.lstrip().startswith(("UPDATE", "WITH", "SELECT")):
            seen.append((statement, params[0] if many else params))

    engine = store.db.writer.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


async def plans(store: Store, statements: list[tuple[str, Any]]) -> list[str]:
    """Each statement's plan as text. On PostgreSQL, which plans from statistics, the backlog
    here is small enough that reading all of it is cheapest; a sequential scan is forbidden so
    the plan shows which index path it has for a backlog of any size."""
    out = []
    async with store.db.write() as conn:
        if not store.db.is_sqlite:
            await conn.exec_driver_sql("ANALYZE tasks")
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        for statement, params in statements:
            if store.db.is_sqlite:
                rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
                out.append("\n".join(str(r[-1]) for r in rows))
            else:
                rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", params)
                out.append("\n".join(str(r[0]) for r in rows))
    return out


def walks_the_backlog(plan: str) -> bool:
    """A plan that reads every task of a status, or sorts the swarm's queue, to find a few."""
    lines = plan.splitlines()
    return any(
        "SCAN tasks" in line
        or ("SEARCH tasks USING" in line and "(status=?)" in line)
        or "TEMP B-TREE FOR ORDER BY" in line
        or "TEMP B-TREE FOR RIGHT PART OF ORDER BY" in line
        or "Seq Scan on tasks" in line
        or ("Sort Key:" in line and "priority DESC" in line)
        or ("Bitmap Index Scan" in line and "ix_tasks_claim" in line)
        for line in lines
    )


async def backlog(store: Store, sessions: bool = False) -> None:
    now = time.time()
    await store.tasks.submit_many(
        [
            NewTask(
                new_task_id(),
                "s",
                {"i": i},
                i % 3,
                3,
                30.0,
                "t",
                now,
                session=f"t:s{i % 50}" if sessions else None,
            )
            for i in range(BACKLOG)
        ]
    )


async def test_a_tasks_life_finds_its_rows_by_id_or_index_order(store: Store) -> None:
    await backlog(store)
    with sent(store) as statements:
        claimed = await store.claims.claim(W, ["s"], 20, time.time(), 30)
        await store.claims.heartbeat(W, [t.id for t in claimed], time.time(), 30)
        done = [
            Outcome(t.id, W, t.attempts, OutcomeKind.SUCCEEDED, time.time(), result=1)
            for t in claimed[:5]
        ]
        await store.claims.record(done)
        await store.claims.release(W, [t.id for t in claimed[5:10]], time.time())
        await store.tasks.cancel(claimed[10].id, time.time(), "test")
    assert len(claimed) == 20
    kinds = {s.split()[0] for s, _ in statements}
    assert kinds == {"WITH", "UPDATE", "SELECT"}, kinds
    assert len(statements) >= 6
    for (statement, _), plan in zip(statements, await plans(store, statements), strict=True):
        assert not walks_the_backlog(plan), f"{statement}\n--- plan:\n{plan}"


async def test_a_claim_among_sessions_finds_its_rows_by_index(store: Store) -> None:
    await backlog(store, sessions=True)
    with sent(store) as statements:
        claimed = await store.claims.claim(W, ["s"], 20, time.time(), 30)
    assert len(claimed) == 20  # one per session free to run, the oldest of each
    assert len({t.session for t in claimed}) == 20
    for (statement, _), plan in zip(statements, await plans(store, statements), strict=True):
        assert not walks_the_backlog(plan), f"{statement}\n--- plan:\n{plan}"


async def test_queued_versions_probe_the_index_once_per_version(store: Store) -> None:
    now = time.time()
    batch = [
        NewTask(new_task_id(), swarm, {"i": i}, 5, 3, 30.0, "t", now, version=version)
        for i in range(BACKLOG // 3)
        for swarm, version in (("s", "1.0"), ("s", "2.0"), ("other", "9"))
    ]
    await store.tasks.submit_many(batch)
    await store.tasks.submit_many([NewTask(new_task_id(), "s", {}, 5, 3, 30.0, "t", now)])
    [running] = await store.claims.claim(W, ["other"], 1, now, 30, versions=["9"])
    assert running.version == "9"
    with sent_reads(store) as statements:
        assert await store.tasks.queued_versions(["s", "other"]) == [
            ("other", "9"),
            ("s", "1.0"),
            ("s", "2.0"),
        ]
        assert await store.tasks.queued_versions(["s", "other"], limit=2) == [
            ("other", "9"),
            ("s", "1.0"),
        ]
    assert statements
    for (statement, _), plan in zip(statements, await plans(store, statements), strict=True):
        assert not walks_the_backlog(plan), f"{statement}\n--- plan:\n{plan}"
        assert "ix_tasks_queued_versions" in plan, plan


@contextmanager
def sent_reads(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """The recursive reads the store sends meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> None:
        if "WITH RECURSIVE" in statement:
            seen.append((statement, params))

    engine = store.db.reader.sync_engine if store.db.is_sqlite else store.db.writer.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
