"""Sessions: the one-at-a-time gate on submit and the bounded message history.

Called by `tasks.submit_many` (gate), `claims` (history append with the outcome) and the worker
(history read before a task runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.records import NewTask
from swarmstack.core.states import TaskStatus
from swarmstack.errors import Conflict
from swarmstack.store.codec import storable_text
from swarmstack.store.engine import Database
from swarmstack.store.tables import session_messages, tasks
from swarmstack.store.transitions import add_events, change, event_row

_ACTIVE = [TaskStatus.QUEUED.value, TaskStatus.RUNNING.value]


async def gate(conn: AsyncConnection, task: NewTask, busy: set[str]) -> Conflict | None:
    """Apply the session's on_conflict policy before `task` is inserted."""
    if task.session is None:
        return None
    active = [
        r[0]
        for r in await conn.execute(
            select(tasks.c.id).where(tasks.c.session == task.session, tasks.c.status.in_(_ACTIVE))
        )
    ]
    if task.session_policy == "reject" and (active or task.session in busy):
        return Conflict(
            f"session {task.session!r} is busy with task "
            f"{active[0] if active else 'in this batch'}",
            fix="wait for it to finish, or set sessions.on_conflict to enqueue or interrupt",
            session=task.session,
        )
    if task.session_policy == "interrupt" and active:
        await _interrupt(conn, active, task)
    busy.add(task.session)
    return None


async def _interrupt(conn: AsyncConnection, ids: list[str], by: NewTask) -> None:
    changed = await change(
        conn,
        TaskStatus.CANCELLED,
        [tasks.c.id.in_(ids)],
        {
            "finished_at": by.created_at,
            "lease_owner": None,
            "lease_expires_at": None,
            "error": f"interrupted by task {by.id} of the same session",
        },
    )
    data = {"by": by.submitted_by, "interrupted_by": by.id}
    await add_events(conn, [event_row(r.id, "cancelled", data, by.created_at) for r in changed])


async def append(
    conn: AsyncConnection, session: str, messages: Sequence[dict[str, Any]], now: float, keep: int
) -> None:
    """Add messages to a session's history and keep only the newest `keep`."""
    await conn.execute(
        insert(session_messages),
        [
            {
                "session": session,
                "role": m["role"],
                "content": storable_text(m["content"]),
                "created_at": now,
            }
            for m in messages
        ],
    )
    newest = (
        select(session_messages.c.id)
        .where(session_messages.c.session == session)
        .order_by(session_messages.c.id.desc())
        .limit(keep)
    )
    await conn.execute(
        session_messages.delete().where(
            session_messages.c.session == session,
            session_messages.c.id.not_in(newest.scalar_subquery()),
        )
    )


class SessionStore:
    """Reads of session history."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def history(self, session: str, limit: int) -> list[dict[str, str]]:
        """The newest `limit` messages of a session, oldest first."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(session_messages.c.role, session_messages.c.content)
                    .where(session_messages.c.session == session)
                    .order_by(session_messages.c.id.desc())
                    .limit(limit)
                )
            ).all()
        return [{"role": r.role, "content": r.content} for r in reversed(rows)]
