"""Sessions: the one-at-a-time gate on submit and the bounded message history.

Called by `tasks.submit_many` (gate), `claims` (the claim's filter, history append with the
outcome) and the worker (history read before a task runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, exists, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.records import NewTask
from swarmstack.core.states import TaskStatus
from swarmstack.errors import Conflict
from swarmstack.security.crypto import Keyring, Sealer
from swarmstack.store.codec import ERROR, MESSAGE, seal_text
from swarmstack.store.engine import Database
from swarmstack.store.planner import unindexed
from swarmstack.store.tables import session_messages, tasks
from swarmstack.store.transitions import add_events, change, event_row

_ACTIVE = [TaskStatus.QUEUED.value, TaskStatus.RUNNING.value]


async def gate(
    conn: AsyncConnection, task: NewTask, busy: set[str], keys: Sealer
) -> Conflict | None:
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
        await _interrupt(conn, active, task, keys)
    busy.add(task.session)
    return None


async def _interrupt(conn: AsyncConnection, ids: list[str], by: NewTask, keys: Sealer) -> None:
    reason = f"interrupted by task {by.id} of the same session"
    changed = await change(
        conn,
        TaskStatus.CANCELLED,
        [tasks.c.id.in_(ids)],
        {
            "finished_at": by.created_at,
            "lease_owner": None,
            "lease_expires_at": None,
            "error": seal_text(keys, reason, ERROR),
        },
    )
    data = {"by": by.submitted_by, "interrupted_by": by.id}
    await add_events(
        conn, [event_row(keys, r.id, "cancelled", data, by.created_at) for r in changed]
    )


def free_to_claim() -> Any:
    """A task without a session, or whose session has nothing running and nothing older queued."""
    other = tasks.alias("other")
    status = unindexed(other.c.status)  # found by ix_tasks_session, not by status (store.planner)
    blocked = exists().where(
        other.c.session == tasks.c.session,
        other.c.id != tasks.c.id,
        or_(
            status == TaskStatus.RUNNING.value,
            and_(status == TaskStatus.QUEUED.value, other.c.id < tasks.c.id),
        ),
    )
    return or_(tasks.c.session.is_(None), ~blocked)


async def append(
    conn: AsyncConnection,
    keys: Sealer,
    session: str,
    messages: Sequence[dict[str, Any]],
    now: float,
    keep: int,
) -> None:
    """Add messages to a session's history and keep only the newest `keep`."""
    await conn.execute(
        insert(session_messages),
        [
            {
                "session": session,
                "role": m["role"],
                "content": seal_text(keys, m["content"], MESSAGE),
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

    def __init__(self, db: Database, keys: Sealer | None = None) -> None:
        self.db = db
        self.keys: Sealer = keys if keys is not None else Keyring()

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
        return [
            {"role": r.role, "content": self.keys.open(r.content, MESSAGE)} for r in reversed(rows)
        ]
