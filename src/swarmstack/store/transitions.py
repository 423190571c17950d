"""Every task status change, as one guarded statement, and the rows that record it.

A change is `UPDATE tasks SET status = new ... WHERE status IN sources_of(new) AND <guard>
RETURNING ...`: the legal source states come from `core.states`, the guard (the lease holder and
attempt, a task id) from the caller. Events and attempt rows are written only for the rows the
statement returned. Of two racing writers (a worker's outcome and the sweeper, a cancel and a
success) the database lets exactly one change the row, and only that one writes events: the
first outcome wins, events included. On PostgreSQL the loser's UPDATE waits on the row lock and
then re-checks its WHERE against the committed row (READ COMMITTED), so it matches nothing; on
SQLite writers are serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.states import TaskStatus, sources_of
from swarmstack.security.crypto import Sealer
from swarmstack.store.codec import ATTEMPT_ERROR, EVENT_DATA, seal_json, seal_text
from swarmstack.store.planner import unindexed
from swarmstack.store.tables import task_attempts, task_events, tasks


async def change(
    conn: AsyncConnection,
    to: TaskStatus,
    guard: Sequence[Any],
    values: dict[str, Any],
    returning: Sequence[Any] = (tasks.c.id,),
) -> list[Row[Any]]:
    """Move the tasks matching `guard` to `to` if their status allows it; the rows changed.

    `guard` names the tasks by id (`tasks.c.id == ...` or `.in_(...)`): the status check is kept
    out of SQLite's index choice (`store.planner`), so the ids are looked up, not every task of
    the source status walked. `values` are the other columns to set. Returns one row of
    `returning` per changed task.
    """
    sources = sorted(s.value for s in sources_of(to))
    statement = (
        update(tasks)
        .where(unindexed(tasks.c.status).in_(sources), *guard)
        .values(status=to.value, **values)
        .returning(*returning)
    )
    return list((await conn.execute(statement)).all())


def event_row(
    keys: Sealer, task_id: str, kind: str, data: dict[str, Any], at: float
) -> dict[str, Any]:
    """A `task_events` row, its data sealed."""
    return {
        "task_id": task_id,
        "type": kind,
        "data": seal_json(keys, data, EVENT_DATA),
        "created_at": at,
    }


def attempt_row(
    keys: Sealer,
    task_id: str,
    attempt: int,
    worker: str | None,
    status: str,
    error: str | None,
    started_at: float | None,
    finished_at: float,
    *,
    version: str | None = None,
) -> dict[str, Any]:
    """A `task_attempts` row (one failed attempt, kept for the dead letter, its error sealed;
    `version` is the version it ran on, which rollout analysis counts)."""
    return {
        "version": version,
        "task_id": task_id,
        "attempt": attempt,
        "worker": worker,
        "status": status,
        "error": seal_text(keys, error, ATTEMPT_ERROR),
        "started_at": started_at,
        "finished_at": finished_at,
    }


async def add_events(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert event rows (nothing when there are none)."""
    if rows:
        await conn.execute(insert(task_events), list(rows))


async def add_attempts(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert attempt rows (nothing when there are none)."""
    if rows:
        await conn.execute(insert(task_attempts), list(rows))
