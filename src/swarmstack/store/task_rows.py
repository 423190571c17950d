"""The INSERT of new task rows, handed to SQLite's driver as one executemany of tuples.

SQLAlchemy's `insert(tasks)` with a list of dicts processes every parameter of every row in
Python (about a tenth of a batch submit's time); SQLite's driver stores the same values given
as tuples in the statement's column order. On PostgreSQL the rows go through SQLAlchemy as
before, since asyncpg's codecs want the types SQLAlchemy's processors give them. Both insert
the same values: the PostgreSQL path binds these tuples by column name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.records import NewTask
from swarmstack.core.states import TaskStatus
from swarmstack.security.crypto import Sealer
from swarmstack.store.clock import db_now
from swarmstack.store.codec import INPUT, seal_json
from swarmstack.store.tables import tasks

# The columns a new task sets, in the order of `row_values`; run_at comes from the database's
# clock (store.clock) and the rest take their defaults.
COLUMNS = (
    "id",
    "swarm",
    "version",
    "status",
    "priority",
    "input",
    "attempts",
    "max_attempts",
    "timeout_s",
    "idempotency_key",
    "request_hash",
    "session",
    "submitted_by",
    "owner",
    "tenant",
    "traceparent",
    "created_at",
    "events_compacted",
)
_QUEUED = TaskStatus.QUEUED.value
_SQLITE_INSERT = (
    f"INSERT INTO tasks ({', '.join(COLUMNS)}, run_at) "
    f"VALUES ({', '.join('?' for _ in COLUMNS)}, {db_now().compile(dialect=sqlite.dialect())})"
)


def row_values(task: NewTask, keys: Sealer) -> tuple[Any, ...]:
    """The values of `COLUMNS` for `task`, its input sealed (StoreRejected if JSON cannot
    hold it)."""
    return (
        task.id,
        task.swarm,
        task.version,
        _QUEUED,
        task.priority,
        seal_json(keys, task.input, INPUT),
        0,
        task.max_attempts,
        float(task.timeout_s),
        task.idempotency_key,
        task.request_hash,
        task.session,
        task.submitted_by,
        task.owner,
        task.tenant,
        task.traceparent,
        float(task.created_at),
        False,
    )


async def insert_rows(
    conn: AsyncConnection, rows: Sequence[tuple[Any, ...]], *, sqlite: bool
) -> None:
    """Insert new task rows (`row_values` tuples) in one statement; nothing for none."""
    if not rows:
        return
    if sqlite:
        await conn.exec_driver_sql(_SQLITE_INSERT, list(rows))
    else:
        named = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
        await conn.execute(insert(tasks).values(run_at=db_now()), named)
