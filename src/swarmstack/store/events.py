"""Task event streams: append and read after an id (SSE resumes with Last-Event-ID)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select

from swarmstack.core.records import TaskEvent
from swarmstack.core.states import TERMINAL
from swarmstack.errors import StoreRejected
from swarmstack.security.crypto import Keyring, Sealer
from swarmstack.store.codec import event_from_row, unstorable_chars
from swarmstack.store.engine import Database
from swarmstack.store.tables import task_events
from swarmstack.store.transitions import event_row

_OUTCOMES = tuple(sorted(s.value for s in TERMINAL))
_TYPE_LENGTH = 40  # task_events.type is String(40)
_ID_LENGTH = 40  # task_events.task_id is String(40)
log = logging.getLogger(__name__)


def _checked(row: dict[str, Any]) -> dict[str, Any]:
    """`row` if every column fits, else StoreRejected (both backends refuse the same)."""
    if len(row["type"]) > _TYPE_LENGTH or not row["type"].isprintable():
        raise StoreRejected(f"event type {row['type'][:60]!r} is not printable or too long")
    return row


class EventStore:
    """Events of tasks, ordered by a global id."""

    def __init__(self, db: Database, keys: Sealer | None = None) -> None:
        self.db = db
        self.keys: Sealer = keys if keys is not None else Keyring()

    async def append(self, events: Sequence[tuple[str, str, dict[str, Any], float]]) -> None:
        """Store (task_id, type, data, created_at) tuples in one transaction.

        An event the store refuses (data that is not JSON, a type name too long) is replaced by
        an `unstorable-event` event that says why, so one bad event never blocks the others.
        Raises StoreUnavailable.
        """
        if not events:
            return
        rows: list[dict[str, Any]] = []
        for task_id, kind, data, at in events:
            try:
                rows.append(_checked(event_row(self.keys, task_id, kind, data, at)))
            except StoreRejected as exc:
                log.warning("event %r of task %s cannot be stored: %s", kind, task_id, exc)
                reason = {"type": kind[:200], "reason": exc.message}
                rows.append(event_row(self.keys, task_id, "unstorable-event", reason, at))
        async with self.db.write() as conn:
            await conn.execute(insert(task_events), rows)

    async def cancelled_since(self, after_id: int) -> tuple[list[str], int]:
        """Ids of tasks cancelled after event `after_id`, and the newest event id now."""
        return await self._typed_since(after_id, ("cancelled",))

    async def finished_since(self, after_id: int) -> tuple[list[str], int]:
        """Ids of tasks that reached an outcome after event `after_id`, and the newest event id."""
        return await self._typed_since(after_id, _OUTCOMES)

    async def _typed_since(self, after_id: int, types: Sequence[str]) -> tuple[list[str], int]:
        async with self.db.read() as conn:
            newest = (await conn.execute(select(func.max(task_events.c.id)))).scalar() or 0
            rows = await conn.execute(
                select(task_events.c.task_id).where(
                    task_events.c.id > after_id,
                    task_events.c.id <= newest,
                    task_events.c.type.in_(types),
                )
            )
            return [r[0] for r in rows], max(int(newest), after_id)

    async def last_id(self) -> int:
        """The newest event id (0 when there is none)."""
        async with self.db.read() as conn:
            value = (await conn.execute(select(func.max(task_events.c.id)))).scalar()
        return int(value or 0)

    async def after(self, task_id: str, after_id: int = 0, limit: int = 500) -> list[TaskEvent]:
        """Events of `task_id` with an id above `after_id`, oldest first."""
        if len(task_id) > _ID_LENGTH or unstorable_chars(task_id):
            return []
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(task_events)
                .where(task_events.c.task_id == task_id, task_events.c.id > after_id)
                .order_by(task_events.c.id)
                .limit(limit)
            )
            return [event_from_row(r, self.keys) for r in rows]
