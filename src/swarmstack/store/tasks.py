"""Submitting, reading, listing and cancelling tasks. Called by the manager's API.

Invariant: a submit is one INSERT committed before the API answers 202; the same
Idempotency-Key with the same request returns the stored task, with another request is 409.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.ids import TaskId
from swarmstack.core.records import NewTask, TaskPage, TaskRecord
from swarmstack.core.states import TERMINAL, TaskStatus, sources_of
from swarmstack.errors import Conflict, NotFound, SwarmstackError
from swarmstack.store import sessions
from swarmstack.store.codec import dumps, new_task_row, task_from_row
from swarmstack.store.engine import Database
from swarmstack.store.tables import task_attempts, task_events, tasks

SubmitResult = TaskRecord | SwarmstackError


class TaskStore:
    """Task reads and client-side writes."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def submit_many(self, batch: Sequence[NewTask]) -> list[SubmitResult]:
        """Store a batch in one transaction; per item the stored task or why it was refused."""
        async with self.db.write() as conn:
            existing = await _by_keys(conn, [t.idempotency_key for t in batch if t.idempotency_key])
            results: list[SubmitResult] = []
            rows: list[dict[str, Any]] = []
            busy: set[str] = set()
            for task in batch:
                result = _dedupe(task, existing) or await sessions.gate(conn, task, busy)
                if result is None:
                    rows.append(new_task_row(task))
                    result = _record_of(task)
                    if task.idempotency_key:
                        existing[task.idempotency_key] = result
                results.append(result)
            if rows:
                await conn.execute(insert(tasks), rows)
        return results

    async def get(self, task_id: str) -> TaskRecord:
        """One task with every failed attempt's error; NotFound if there is none."""
        async with self.db.read() as conn:
            row = (await conn.execute(select(tasks).where(tasks.c.id == task_id))).first()
            if row is None:
                raise NotFound(f"no task {task_id!r}", fix="check the id from the submit answer")
            attempts = await conn.execute(
                select(
                    task_attempts.c.attempt,
                    task_attempts.c.status,
                    task_attempts.c.error,
                    task_attempts.c.worker,
                    task_attempts.c.finished_at,
                )
                .where(task_attempts.c.task_id == task_id)
                .order_by(task_attempts.c.attempt)
            )
            return task_from_row(row, [dict(a._mapping) for a in attempts])

    async def get_many(self, ids: Sequence[str]) -> list[TaskRecord]:
        """Tasks by id (missing ids are left out)."""
        async with self.db.read() as conn:
            rows = await conn.execute(select(tasks).where(tasks.c.id.in_(list(ids))))
            return [task_from_row(r) for r in rows]

    async def finished_among(self, ids: Sequence[str]) -> list[TaskRecord]:
        """Those of `ids` that have an outcome."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(tasks).where(
                    tasks.c.id.in_(list(ids)), tasks.c.status.in_([s.value for s in TERMINAL])
                )
            )
            return [task_from_row(r) for r in rows]

    async def list(
        self,
        *,
        status: str | None = None,
        swarm: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> TaskPage:
        """Newest first; `cursor` is the last id of the previous page."""
        query = select(tasks).order_by(tasks.c.id.desc()).limit(limit + 1)
        if status:
            query = query.where(tasks.c.status == status)
        if swarm:
            query = query.where(tasks.c.swarm == swarm)
        if cursor:
            query = query.where(tasks.c.id < cursor)
        async with self.db.read() as conn:
            items = [task_from_row(r) for r in await conn.execute(query)]
        more = len(items) > limit
        items = items[:limit]
        return TaskPage(items, items[-1].id if more and items else None)

    async def cancel(self, task_id: str, now: float, by: str) -> TaskRecord:
        """Cancel a queued or running task; its outcome is `cancelled` from now on."""
        async with self.db.write() as conn:
            row = (await conn.execute(select(tasks.c.status).where(tasks.c.id == task_id))).first()
            if row is None:
                raise NotFound(f"no task {task_id!r}", fix="check the id")
            if TaskStatus(row.status).terminal:
                raise Conflict(f"task {task_id} already {row.status}; nothing to cancel")
            await conn.execute(
                update(tasks)
                .where(
                    tasks.c.id == task_id,
                    tasks.c.status.in_([s.value for s in sources_of(TaskStatus.CANCELLED)]),
                )
                .values(
                    status=TaskStatus.CANCELLED.value,
                    finished_at=now,
                    lease_owner=None,
                    lease_expires_at=None,
                    error=f"cancelled by {by}",
                )
            )
            await conn.execute(
                insert(task_events),
                [
                    {
                        "task_id": task_id,
                        "type": "cancelled",
                        "data": dumps({"by": by}),
                        "created_at": now,
                    }
                ],
            )
        return await self.get(task_id)

    async def queue_depth(self) -> dict[str, int]:
        """Queued tasks per swarm."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(tasks.c.swarm, func.count())
                .where(tasks.c.status == TaskStatus.QUEUED.value)
                .group_by(tasks.c.swarm)
            )
            return {r[0]: int(r[1]) for r in rows}


async def _by_keys(conn: AsyncConnection, keys: list[str]) -> dict[str, SubmitResult]:
    if not keys:
        return {}
    rows = await conn.execute(select(tasks).where(tasks.c.idempotency_key.in_(keys)))
    return {r.idempotency_key: task_from_row(r) for r in rows}


def _dedupe(task: NewTask, existing: dict[str, SubmitResult]) -> SubmitResult | None:
    if not task.idempotency_key or task.idempotency_key not in existing:
        return None
    prior = existing[task.idempotency_key]
    if isinstance(prior, TaskRecord) and prior.request_hash != task.request_hash:
        return Conflict(
            "this Idempotency-Key was used with a different request",
            fix="use a new key for a new request",
            task_id=prior.id,
        )
    return prior


def _record_of(task: NewTask) -> TaskRecord:
    return TaskRecord(
        id=TaskId(task.id),
        swarm=task.swarm,
        status=TaskStatus.QUEUED,
        priority=task.priority,
        input=task.input,
        attempts=0,
        max_attempts=task.max_attempts,
        timeout_s=task.timeout_s,
        created_at=task.created_at,
        submitted_by=task.submitted_by,
        run_at=task.created_at,
        version=task.version,
        session=task.session,
        idempotency_key=task.idempotency_key,
        request_hash=task.request_hash,
    )
