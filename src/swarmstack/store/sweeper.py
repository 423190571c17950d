"""The lease sweeper: tasks whose lease expired on the database's clock (their worker is lost)
are re-queued, or failed when their attempts are used up, by the same decision as a reported
failure (`ClaimStore.after_attempt`); one re-queued on a version retired meanwhile goes to the
stable version (`reroute.requeued`). Run by the leader manager."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.states import TaskStatus
from swarmstack.store import reroute
from swarmstack.store.clock import db_now
from swarmstack.store.codec import ERROR, seal_text
from swarmstack.store.tables import tasks
from swarmstack.store.transitions import add_attempts, add_events, attempt_row, change, event_row

if TYPE_CHECKING:
    from swarmstack.store.claims import ClaimStore

BATCH = 500


async def sweep(claims: ClaimStore, now: float) -> list[tuple[str, TaskStatus]]:
    """(swarm, new status) of each task swept; `now` dates the attempt and event rows only."""
    async with claims.db.write() as conn:
        rows = (
            await conn.execute(
                select(
                    tasks.c.id,
                    tasks.c.swarm,
                    tasks.c.attempts,
                    tasks.c.max_attempts,
                    tasks.c.lease_owner,
                    tasks.c.started_at,
                    tasks.c.version,
                )
                .where(
                    tasks.c.status == TaskStatus.RUNNING.value,
                    tasks.c.lease_expires_at < db_now(),
                )
                .order_by(tasks.c.id)  # rows locked in id order, like every multi-row writer
                .limit(BATCH)
                .with_for_update(skip_locked=True)  # a row being renewed or reported: next round
            )
        ).all()
        swept = [await _expire(claims, conn, r, now) for r in rows]
        back = [
            (r.id, r.swarm) for r, s in zip(rows, swept, strict=True) if s and not s[1].terminal
        ]
        await reroute.requeued(conn, claims.keys, back, now)  # a retired version's: to stable
    return [s for s in swept if s is not None]


async def _expire(
    claims: ClaimStore, conn: AsyncConnection, row: Any, now: float
) -> tuple[str, TaskStatus] | None:
    error = f"lease held by {row.lease_owner} expired (worker lost?)"
    status, values = await claims.after_attempt(
        conn, row, row.attempts, retryable=True, final=TaskStatus.FAILED
    )
    values["error"] = seal_text(claims.keys, error, ERROR)
    if status.terminal:
        values["finished_at"] = now
    guard = [
        tasks.c.id == row.id,
        tasks.c.lease_owner == row.lease_owner,
        tasks.c.attempts == row.attempts,
        tasks.c.lease_expires_at < db_now(),
    ]
    if not await change(conn, status, guard, values):
        return None  # renewed, reported or cancelled since the read: nothing to sweep
    attempt = attempt_row(
        claims.keys,
        row.id,
        row.attempts,
        row.lease_owner,
        "lease_expired",
        error,
        row.started_at,
        now,
        version=row.version,
    )
    await add_attempts(conn, [attempt])
    kind = "failed" if status.terminal else "retrying"
    await add_events(
        conn,
        [event_row(claims.keys, row.id, kind, {"attempt": row.attempts, "error": error}, now)],
    )
    return row.swarm, status
