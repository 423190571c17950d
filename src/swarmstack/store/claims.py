"""The worker side of the queue: claim with a lease, heartbeat, record outcomes, sweep.

Invariants: a claim is one guarded UPDATE (FOR UPDATE SKIP LOCKED on PostgreSQL, an IMMEDIATE
transaction on SQLite); an outcome is applied only while the reporting worker still holds the
lease on that attempt, so the first recorded outcome wins and late or duplicate reports are no-ops.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.ids import TaskId, WorkerId
from swarmstack.core.records import Outcome, OutcomeKind, TaskRecord
from swarmstack.core.retry import RetryPolicy, after_failure
from swarmstack.core.states import TaskStatus
from swarmstack.store import sessions
from swarmstack.store.codec import dumps, task_from_row
from swarmstack.store.engine import Database
from swarmstack.store.tables import task_attempts, task_events, tasks

_CHUNK = 500
_FINAL_OF = {
    OutcomeKind.FAILED: TaskStatus.FAILED,
    OutcomeKind.TIMED_OUT: TaskStatus.TIMED_OUT,
    OutcomeKind.BUDGET_EXCEEDED: TaskStatus.BUDGET_EXCEEDED,
    OutcomeKind.CANCELLED: TaskStatus.CANCELLED,
    OutcomeKind.SUCCEEDED: TaskStatus.SUCCEEDED,
}


@dataclass(frozen=True, slots=True)
class Applied:
    """An outcome the store accepted, and the status it led to."""

    outcome: Outcome
    status: TaskStatus
    swarm: str
    version: str | None
    created_at: float


class ClaimStore:
    """Claims, leases and outcomes."""

    def __init__(
        self,
        db: Database,
        policies: dict[str, RetryPolicy] | None = None,
        rand: random.Random | None = None,
    ) -> None:
        self.db = db
        self.policies = policies or {}
        self.rand = rand

    async def claim(
        self, worker: WorkerId, swarms: Sequence[str], limit: int, now: float, lease_s: float
    ) -> list[TaskRecord]:
        """Lease up to `limit` runnable tasks of `swarms`, highest priority first."""
        if limit <= 0 or not swarms:
            return []
        pick = (
            select(tasks.c.id)
            .where(
                tasks.c.status == TaskStatus.QUEUED.value,
                tasks.c.swarm.in_(swarms),
                tasks.c.run_at <= now,
                _session_free(),
            )
            .order_by(tasks.c.priority.desc(), tasks.c.run_at, tasks.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self.db.write() as conn:
            rows = (
                await conn.execute(
                    update(tasks)
                    .where(tasks.c.id.in_(pick.scalar_subquery()))
                    .values(
                        status=TaskStatus.RUNNING.value,
                        lease_owner=worker,
                        lease_expires_at=now + lease_s,
                        attempts=tasks.c.attempts + 1,
                        started_at=now,
                    )
                    .returning(*tasks.c)
                )
            ).all()
            claimed = [task_from_row(r) for r in rows]
            if claimed:
                await conn.execute(
                    insert(task_events),
                    [
                        {
                            "task_id": t.id,
                            "type": "started",
                            "created_at": now,
                            "data": dumps({"attempt": t.attempts, "worker": worker}),
                        }
                        for t in claimed
                    ],
                )
        claimed.sort(key=lambda t: (-t.priority, t.run_at))
        return claimed

    async def heartbeat(
        self, worker: WorkerId, ids: Sequence[TaskId], now: float, lease_s: float
    ) -> set[TaskId]:
        """Renew the leases of `ids` that `worker` still holds; returns those ids."""
        held: set[TaskId] = set()
        async with self.db.write() as conn:
            for start in range(0, len(ids), _CHUNK):
                chunk = list(ids[start : start + _CHUNK])
                mine = [
                    tasks.c.id.in_(chunk),
                    tasks.c.lease_owner == worker,
                    tasks.c.status == TaskStatus.RUNNING.value,
                ]
                await conn.execute(
                    update(tasks).where(*mine).values(lease_expires_at=now + lease_s)
                )
                rows = await conn.execute(select(tasks.c.id).where(*mine))
                held |= {TaskId(r[0]) for r in rows}
        return held

    async def record(self, outcomes: Sequence[Outcome]) -> list[Applied]:
        """Apply outcomes in one transaction; ignored when the lease is gone (first wins)."""
        if not outcomes:
            return []
        applied: list[Applied] = []
        events: list[dict[str, Any]] = []
        async with self.db.write() as conn:
            for outcome in outcomes:
                done = await self._apply(conn, outcome)
                if done is not None:
                    applied.append(done)
                    events.append(_event_of(done))
            if events:
                await conn.execute(insert(task_events), events)
        return applied

    async def _apply(self, conn: AsyncConnection, outcome: Outcome) -> Applied | None:
        if outcome.kind is OutcomeKind.SUCCEEDED:
            return await _apply_success(conn, outcome, self._decide(outcome, "", 0)[1])
        row = (
            await conn.execute(
                select(
                    tasks.c.swarm,
                    tasks.c.version,
                    tasks.c.created_at,
                    tasks.c.max_attempts,
                ).where(*_held_by(outcome))
            )
        ).first()
        if row is None:
            return None
        status, values = self._decide(outcome, row.swarm, row.max_attempts)
        await conn.execute(update(tasks).where(*_held_by(outcome)).values(**values))
        await conn.execute(
            insert(task_attempts).values(
                task_id=outcome.task_id,
                attempt=outcome.attempt,
                worker=outcome.worker,
                status=outcome.kind.value,
                error=outcome.error,
                started_at=outcome.started_at,
                finished_at=outcome.finished_at,
            )
        )
        return Applied(outcome, status, row.swarm, row.version, row.created_at)

    def _decide(
        self, outcome: Outcome, swarm: str, max_attempts: int
    ) -> tuple[TaskStatus, dict[str, Any]]:
        common: dict[str, Any] = {
            "lease_owner": None,
            "lease_expires_at": None,
            "trace": _maybe(outcome.trace),
            "usage": _maybe(outcome.usage),
        }
        if outcome.kind is OutcomeKind.SUCCEEDED:
            return TaskStatus.SUCCEEDED, {
                **common,
                "status": TaskStatus.SUCCEEDED.value,
                "result": dumps(outcome.result),
                "error": None,
                "finished_at": outcome.finished_at,
            }
        policy = self.policies.get(swarm, RetryPolicy())
        policy = RetryPolicy(
            max_attempts - 1,
            policy.retry_delay_s,
            policy.backoff,
            policy.max_delay_s,
            policy.jitter,
        )
        verdict = after_failure(
            policy,
            outcome.attempt,
            outcome.finished_at,
            retryable=outcome.retryable,
            final=_FINAL_OF[outcome.kind],
            rand=self.rand,
        )
        values = {**common, "status": verdict.status.value, "error": outcome.error}
        if verdict.status is TaskStatus.QUEUED:
            return verdict.status, {**values, "run_at": verdict.run_at}
        return verdict.status, {**values, "finished_at": outcome.finished_at}

    async def release(self, worker: WorkerId, ids: Sequence[TaskId], now: float) -> int:
        """Give leased tasks back to the queue at once (graceful drain); the attempt is undone."""
        if not ids:
            return 0
        async with self.db.write() as conn:
            result = await conn.execute(
                update(tasks)
                .where(
                    tasks.c.id.in_(list(ids)),
                    tasks.c.lease_owner == worker,
                    tasks.c.status == TaskStatus.RUNNING.value,
                )
                .values(
                    status=TaskStatus.QUEUED.value,
                    lease_owner=None,
                    lease_expires_at=None,
                    attempts=tasks.c.attempts - 1,
                    run_at=now,
                )
            )
            return int(result.rowcount or 0)

    async def sweep(self, now: float) -> list[tuple[str, TaskStatus]]:
        """Re-queue tasks whose lease expired (or fail them when attempts are used up)."""
        async with self.db.write() as conn:
            rows = (
                await conn.execute(
                    select(
                        tasks.c.id,
                        tasks.c.swarm,
                        tasks.c.attempts,
                        tasks.c.max_attempts,
                        tasks.c.lease_owner,
                        tasks.c.started_at,
                    )
                    .where(
                        tasks.c.status == TaskStatus.RUNNING.value, tasks.c.lease_expires_at < now
                    )
                    .limit(500)
                )
            ).all()
            swept = [await self._expire(conn, r, now) for r in rows]
        return swept

    async def _expire(self, conn: AsyncConnection, row: Any, now: float) -> tuple[str, TaskStatus]:
        error = f"lease held by {row.lease_owner} expired (worker lost?)"
        exhausted = row.attempts >= row.max_attempts
        status = TaskStatus.FAILED if exhausted else TaskStatus.QUEUED
        values: dict[str, Any] = {
            "status": status.value,
            "lease_owner": None,
            "lease_expires_at": None,
            "error": error,
        }
        values |= {"finished_at": now} if exhausted else {"run_at": now}
        await conn.execute(
            update(tasks)
            .where(
                tasks.c.id == row.id,
                tasks.c.status == TaskStatus.RUNNING.value,
                tasks.c.lease_owner == row.lease_owner,
            )
            .values(**values)
        )
        await conn.execute(
            insert(task_attempts).values(
                task_id=row.id,
                attempt=row.attempts,
                worker=row.lease_owner,
                status="lease_expired",
                error=error,
                started_at=row.started_at,
                finished_at=now,
            )
        )
        await conn.execute(
            insert(task_events).values(
                task_id=row.id,
                type="failed" if exhausted else "retrying",
                created_at=now,
                data=dumps({"attempt": row.attempts, "error": error}),
            )
        )
        return row.swarm, status


async def _apply_success(
    conn: AsyncConnection, outcome: Outcome, values: dict[str, Any]
) -> Applied | None:
    """The hot path: one UPDATE ... RETURNING per successful task."""
    row = (
        await conn.execute(
            update(tasks)
            .where(*_held_by(outcome))
            .values(**values)
            .returning(tasks.c.swarm, tasks.c.version, tasks.c.created_at, tasks.c.session)
        )
    ).first()
    if row is None:
        return None
    if row.session and outcome.session_messages:
        await sessions.append(
            conn, row.session, outcome.session_messages, outcome.finished_at, outcome.session_keep
        )
    return Applied(outcome, TaskStatus.SUCCEEDED, row.swarm, row.version, row.created_at)


def _session_free() -> Any:
    """A task without a session, or whose session has nothing running and nothing older queued."""
    other = tasks.alias("other")
    blocked = exists().where(
        other.c.session == tasks.c.session,
        other.c.id != tasks.c.id,
        or_(
            other.c.status == TaskStatus.RUNNING.value,
            and_(other.c.status == TaskStatus.QUEUED.value, other.c.id < tasks.c.id),
        ),
    )
    return or_(tasks.c.session.is_(None), ~blocked)


def _held_by(outcome: Outcome) -> list[Any]:
    return [
        tasks.c.id == outcome.task_id,
        tasks.c.status == TaskStatus.RUNNING.value,
        tasks.c.lease_owner == outcome.worker,
        tasks.c.attempts == outcome.attempt,
    ]


def _maybe(value: Any) -> str | None:
    return None if value is None else dumps(value)


def _event_of(done: Applied) -> dict[str, Any]:
    o = done.outcome
    kind = "retrying" if done.status is TaskStatus.QUEUED else done.status.value
    data: dict[str, Any] = {"attempt": o.attempt}
    if o.error:
        data["error"] = o.error
    if done.status is TaskStatus.SUCCEEDED:
        data["result"] = o.result
    return {"task_id": o.task_id, "type": kind, "data": dumps(data), "created_at": o.finished_at}


__all__ = ["Applied", "ClaimStore"]
