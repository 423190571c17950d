"""The worker side of the queue: claim with a lease, heartbeat, record outcomes, sweep.

Invariants: a claim is one guarded UPDATE (FOR UPDATE SKIP LOCKED on PostgreSQL, an IMMEDIATE
transaction on SQLite); an outcome is applied only while the reporting worker still holds the
lease on that attempt, so the first recorded outcome wins and late or duplicate reports are no-ops
(every status change goes through `transitions.change`). Leases and `run_at` are written and
judged on the database's clock (`clock.db_now`). Every failed attempt, reported or swept, is
decided by the one retry rule `core.retry.after_failure`. A batch of outcomes that the store
refuses is retried row by row, and an outcome that still cannot be stored is recorded as a failure
that says why, so one bad row never blocks its batch-mates or its worker.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.ids import TaskId, WorkerId
from swarmstack.core.records import Outcome, OutcomeKind, TaskRecord
from swarmstack.core.retry import RetryPolicy, after_failure
from swarmstack.core.states import TaskStatus
from swarmstack.errors import DecryptionFailed, StoreRejected
from swarmstack.security.crypto import Keyring, Sealer
from swarmstack.store import reroute, sessions, sweeper
from swarmstack.store.clock import db_now
from swarmstack.store.codec import (
    ERROR,
    TRACE,
    seal_json_opt,
    seal_text,
    task_from_row,
)
from swarmstack.store.engine import Database
from swarmstack.store.outcomes import (
    SUMMARY,
    Applied,
    apply_successes,
    event_of,
    held_by,
    lock_tasks,
    maybe,
    unrecordable,
)
from swarmstack.store.planner import unindexed
from swarmstack.store.tables import tasks
from swarmstack.store.transitions import (
    add_attempts,
    add_events,
    attempt_row,
    change,
    event_row,
)

log = logging.getLogger(__name__)

_CHUNK = 500
_FINAL_OF = {
    OutcomeKind.FAILED: TaskStatus.FAILED,
    OutcomeKind.TIMED_OUT: TaskStatus.TIMED_OUT,
    OutcomeKind.BUDGET_EXCEEDED: TaskStatus.BUDGET_EXCEEDED,
    OutcomeKind.CANCELLED: TaskStatus.CANCELLED,
    OutcomeKind.SUCCEEDED: TaskStatus.SUCCEEDED,
}
_NO_LEASE = {"lease_owner": None, "lease_expires_at": None}
UNREADABLE_DELAY_S = 30.0  # a task this node cannot decrypt waits this long for another node


class ClaimStore:
    """Claims, leases and outcomes."""

    def __init__(
        self,
        db: Database,
        policies: dict[str, RetryPolicy] | None = None,
        rand: random.Random | None = None,
        keys: Sealer | None = None,
    ) -> None:
        self.db = db
        self.policies = policies or {}
        self.rand = rand
        self.keys: Sealer = keys if keys is not None else Keyring()

    async def claim(
        self,
        worker: WorkerId,
        swarms: Sequence[str],
        limit: int,
        now: float,
        lease_s: float,
        versions: Sequence[str] | None = None,
    ) -> list[TaskRecord]:
        """Lease up to `limit` runnable tasks of `swarms`, highest priority first.

        A task is runnable once `run_at` has passed on the database's clock; the lease ends
        `lease_s` seconds after the claim on that clock. `now` (the caller's clock) only dates
        the `started` events. With `versions`, only tasks on one of them (or on no version) are
        claimed: a worker claims only what it can run.
        """
        if limit <= 0 or not swarms:
            return []
        pick = (
            select(tasks.c.id)
            .where(
                tasks.c.status == TaskStatus.QUEUED.value,
                tasks.c.swarm.in_(swarms),
                tasks.c.run_at <= db_now(),
                sessions.free_to_claim(),
                *([] if versions is None else [_on_versions(versions)]),
            )
            .order_by(tasks.c.priority.desc(), tasks.c.run_at, tasks.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("pick")
            # Evaluated once: inlined, PostgreSQL may re-run a LIMIT ... SKIP LOCKED subquery per
            # row of the UPDATE and so claim more than `limit` tasks.
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        async with self.db.write() as conn:
            rows = await change(
                conn,
                TaskStatus.RUNNING,
                [tasks.c.id.in_(select(pick.c.id))],
                {
                    "lease_owner": worker,
                    "lease_expires_at": db_now() + lease_s,
                    "attempts": tasks.c.attempts + 1,
                    "started_at": now,
                },
                returning=tuple(tasks.c),
            )
            claimed = await self._readable(conn, worker, rows)
            await add_events(
                conn,
                [
                    event_row(
                        self.keys,
                        t.id,
                        "started",
                        {"attempt": t.attempts, "worker": worker, "version": t.version},
                        now,
                    )
                    for t in claimed
                ],
            )
        claimed.sort(key=lambda t: (-t.priority, t.run_at))
        return claimed

    async def _readable(
        self, conn: AsyncConnection, worker: WorkerId, rows: Sequence[Any]
    ) -> list[TaskRecord]:
        """The claimed tasks this node can decrypt. Any other goes back to the queue for
        UNREADABLE_DELAY_S with its attempt undone (a node with its key may take it), and the
        reason is logged: one unreadable task never stops its batch-mates."""
        claimed: list[TaskRecord] = []
        unreadable: list[str] = []
        for row in rows:
            try:
                claimed.append(task_from_row(row, self.keys))
            except DecryptionFailed as exc:
                log.error("task %s cannot run on this node, back to the queue: %s", row.id, exc)
                unreadable.append(row.id)
        if unreadable:
            # Back as it was queued: no reroute here (a claim never waits on the rollouts row
            # while it holds queued rows); a state change retiring its version waits for this
            # transaction and then moves it (store.reroute).
            back = {"attempts": tasks.c.attempts - 1, "run_at": db_now() + UNREADABLE_DELAY_S}
            guard = [tasks.c.id.in_(unreadable), tasks.c.lease_owner == worker]
            await change(conn, TaskStatus.QUEUED, guard, _NO_LEASE | back)
        return claimed

    async def heartbeat(
        self, worker: WorkerId, ids: Sequence[TaskId], now: float, lease_s: float
    ) -> set[TaskId]:
        """Renew the leases of `ids` that `worker` still holds (`lease_s` from now on the
        database's clock); returns those ids. `now` is unused and kept for callers."""
        held: set[TaskId] = set()
        ordered = sorted(set(ids))
        async with self.db.write() as conn:
            for start in range(0, len(ordered), _CHUNK):
                mine = (  # by id: lease owner and status only checked (store.planner)
                    tasks.c.id.in_(ordered[start : start + _CHUNK]),
                    unindexed(tasks.c.lease_owner) == worker,
                    unindexed(tasks.c.status) == TaskStatus.RUNNING.value,
                )
                # Lock the rows in id order first, as every writer of several task rows does
                # (docs/architecture.md), so a concurrent outcome batch cannot deadlock with us.
                locked = select(tasks.c.id).where(*mine).order_by(tasks.c.id).with_for_update()
                rows = await conn.execute(
                    update(tasks)
                    .where(tasks.c.id.in_(locked.scalar_subquery()), *mine)
                    .values(lease_expires_at=db_now() + lease_s)
                    .returning(tasks.c.id)
                )
                held |= {TaskId(r[0]) for r in rows}
        return held

    async def record(self, outcomes: Sequence[Outcome]) -> list[Applied]:
        """Apply outcomes in one transaction; ignored when the lease is gone (first wins).

        When the store refuses a value (`StoreRejected`) the batch is retried row by row, and an
        outcome that still cannot be stored is recorded as a permanent failure naming the
        reason. Raises `StoreUnavailable` (retry later) and nothing else for store faults.
        """
        if not outcomes:
            return []
        try:
            return await self._record(outcomes)
        except StoreRejected as exc:
            log.warning("isolating %d outcomes after the store refused one: %s", len(outcomes), exc)
        applied: list[Applied] = []
        for outcome in outcomes:
            applied += await self._record_alone(outcome)
        return applied

    async def _record_alone(self, outcome: Outcome) -> list[Applied]:
        try:
            return await self._record([outcome])
        except StoreRejected as exc:
            log.error("outcome of task %s cannot be stored: %s", outcome.task_id, exc)
            return await self._record([unrecordable(outcome, exc)])

    async def _record(self, outcomes: Sequence[Outcome]) -> list[Applied]:
        first = {o.task_id: o for o in reversed(outcomes)}  # a task's first report wins
        ordered = sorted(first.values(), key=lambda o: o.task_id)
        async with self.db.write() as conn:
            locked = await lock_tasks(conn, [o.task_id for o in ordered])  # in id order
            wins = [o for o in ordered if o.kind is OutcomeKind.SUCCEEDED]
            applied = await apply_successes(conn, wins, locked, self.keys)
            for outcome in ordered:
                if outcome.kind is not OutcomeKind.SUCCEEDED:
                    done = await self._apply(conn, outcome)
                    if done is not None:
                        applied.append(done)
            await add_events(conn, [event_of(done, self.keys) for done in applied])
            back = [d for d in applied if d.status is TaskStatus.QUEUED]
            if back:  # a retry on a version retired meanwhile runs on stable
                at = max(d.outcome.finished_at for d in back)
                await reroute.requeued(
                    conn, self.keys, [(d.outcome.task_id, d.swarm) for d in back], at
                )
        return applied

    async def _apply(self, conn: AsyncConnection, outcome: Outcome) -> Applied | None:
        row = (
            await conn.execute(
                select(tasks.c.swarm, tasks.c.max_attempts, tasks.c.version).where(
                    *held_by(outcome)
                )
            )
        ).first()
        if row is None:
            return None
        status, values = await self.after_attempt(
            conn,
            row,
            outcome.attempt,
            retryable=outcome.retryable,
            final=_FINAL_OF[outcome.kind],
            retry_after_s=outcome.retry_after_s,
        )
        values |= {
            "error": seal_text(self.keys, outcome.error, ERROR),
            "trace": seal_json_opt(self.keys, outcome.trace, TRACE),
            "usage": maybe(outcome.usage),
        }
        if status.terminal:
            values["finished_at"] = outcome.finished_at
        changed = await change(conn, status, held_by(outcome), values, returning=SUMMARY)
        if not changed:
            return None  # another writer (the sweeper, a cancel) changed the task first
        await add_attempts(
            conn,
            [
                attempt_row(
                    self.keys,
                    outcome.task_id,
                    outcome.attempt,
                    outcome.worker,
                    outcome.kind.value,
                    outcome.error,
                    outcome.started_at,
                    outcome.finished_at,
                    version=row.version,
                )
            ],
        )
        moved = changed[0]
        return Applied(outcome, status, moved.swarm, moved.version, moved.created_at)

    def failure(
        self,
        swarm: str,
        attempt: int,
        max_attempts: int,
        *,
        retryable: bool,
        final: TaskStatus,
        retry_after_s: float | None = None,
    ) -> tuple[TaskStatus, dict[str, Any]]:
        """The status after failed attempt `attempt` and the columns to set, by the one retry
        rule (`after_failure`) with the swarm's policy and the task's own `max_attempts`."""
        policy = self.policies.get(swarm, RetryPolicy())
        policy = replace(policy, retry_attempts=max_attempts - 1)
        verdict = after_failure(
            policy,
            attempt,
            retryable=retryable,
            final=final,
            retry_after_s=retry_after_s,
            rand=self.rand,
        )
        values: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}
        if verdict.delay_s is not None:
            values["run_at"] = db_now() + verdict.delay_s
        return verdict.status, values

    async def after_attempt(
        self,
        conn: AsyncConnection,
        row: Any,
        attempt: int,
        *,
        retryable: bool,
        final: TaskStatus,
        retry_after_s: float | None = None,
    ) -> tuple[TaskStatus, dict[str, Any]]:
        """The status and columns after failed attempt `attempt` of the task `row` (with its
        swarm, version and max_attempts): on a rollout's candidate the task runs again on
        stable at once, else the retry rule decides (`failure`)."""
        stable = await reroute.stable_if_candidate(conn, row.swarm, row.version)
        if stable is not None:
            return self.rerun_on(stable, attempt, row.swarm)
        return self.failure(
            row.swarm,
            attempt,
            row.max_attempts,
            retryable=retryable,
            final=final,
            retry_after_s=retry_after_s,
        )

    def rerun_on(self, stable: str, attempt: int, swarm: str) -> tuple[TaskStatus, dict[str, Any]]:
        """A failed attempt on a rollout's candidate: the task goes back to the queue on the
        stable version at once, with stable's full retry allowance after the attempts it used
        (clients see stable's answer, never the candidate's failure)."""
        policy = self.policies.get(swarm, RetryPolicy())
        return TaskStatus.QUEUED, {
            "lease_owner": None,
            "lease_expires_at": None,
            "run_at": db_now(),
            "version": stable,
            "max_attempts": attempt + policy.max_attempts,
        }

    async def release(self, worker: WorkerId, ids: Sequence[TaskId], now: float) -> int:
        """Give leased tasks back to the queue at once (graceful drain); the attempt is undone,
        and a task on a version retired meanwhile goes to stable. `now` dates its event only:
        the task is runnable at once on the database's clock."""
        if not ids:
            return 0
        async with self.db.write() as conn:
            rows = await change(
                conn,
                TaskStatus.QUEUED,
                [tasks.c.id.in_(list(ids)), tasks.c.lease_owner == worker],
                {
                    "lease_owner": None,
                    "lease_expires_at": None,
                    "attempts": tasks.c.attempts - 1,
                    "run_at": db_now(),
                },
                returning=(tasks.c.id, tasks.c.swarm),
            )
            await reroute.requeued(conn, self.keys, [(r.id, r.swarm) for r in rows], now)
            return len(rows)

    async def sweep(self, now: float) -> list[tuple[str, TaskStatus]]:
        """Re-queue tasks whose lease expired (see `store.sweeper.sweep`)."""
        return await sweeper.sweep(self, now)


def _on_versions(versions: Sequence[str]) -> Any:
    """A task on one of `versions`, or on no version (stored before versions existed)."""
    return or_(tasks.c.version.is_(None), tasks.c.version.in_(list(versions)))


__all__ = ["Applied", "ClaimStore"]
