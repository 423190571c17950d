"""The statements retention runs: find finished tasks past their window, delete them with
their attempts and events, clear old idempotency keys, fold old step events into a summary.

Called by `store.pruner` (the leader's rounds and `swarmstack store prune`). Every statement
touches at most `limit` tasks, so no transaction holds locks for long. Windows are judged on the
database's clock (`db_now()`); `finished_at` and `created_at` are the hosts' times the outcome
and the submit were recorded with, which is all a window of hours or days needs. Deleting rows is
not a status change, so it does not go through `transitions.change`; it only ever takes tasks
that already have an outcome, which never changes again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    delete,
    func,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.retention import LIFECYCLE, SUMMARY_TYPE, Scope, compactions
from swarmstack.core.states import TERMINAL
from swarmstack.security.crypto import Sealer
from swarmstack.store.clock import db_now
from swarmstack.store.codec import EVENT_DATA, seal_json
from swarmstack.store.engine import Database
from swarmstack.store.tables import task_attempts, task_events, tasks

_FINAL = tuple(sorted(s.value for s in TERMINAL))
_CHUNK = 1000  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class Removed:
    """Rows one delete removed, per table."""

    tasks: int = 0
    attempts: int = 0
    events: int = 0

    def __add__(self, other: Removed) -> Removed:
        return Removed(
            self.tasks + other.tasks, self.attempts + other.attempts, self.events + other.events
        )


def in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    """WHERE terms limiting `tasks` to the swarms of `scope`."""
    if scope.only is not None:
        return [tasks.c.swarm.in_(sorted(scope.only))]
    return [tasks.c.swarm.not_in(sorted(scope.exclude))] if scope.exclude else []


def due_terms(scope: Scope, statuses: Sequence[str], keep_s: float) -> list[ColumnElement[bool]]:
    """WHERE terms of finished tasks of `statuses` older than `keep_s` on the database clock."""
    return [
        tasks.c.status.in_(list(statuses)),
        tasks.c.finished_at < db_now() - keep_s,
        *in_scope(scope),
    ]


def key_terms(scope: Scope, keep_s: float) -> list[ColumnElement[bool]]:
    """WHERE terms of tasks whose Idempotency-Key is older than `keep_s`."""
    return [
        tasks.c.idempotency_key.is_not(None),
        tasks.c.created_at < db_now() - keep_s,
        *in_scope(scope),
    ]


def compact_terms(scope: Scope, keep_s: float) -> list[ColumnElement[bool]]:
    """WHERE terms of finished tasks whose step events are older than `keep_s`, not folded yet."""
    return [
        tasks.c.events_compacted.is_(False),
        tasks.c.finished_at < db_now() - keep_s,
        tasks.c.status.in_(list(_FINAL)),
        *in_scope(scope),
    ]


def pick(terms: Sequence[ColumnElement[bool]], limit: int) -> Select[str]:
    """Ids of at most `limit` tasks matching `terms`, skipping rows another writer locks."""
    return select(tasks.c.id).where(*terms).limit(limit).with_for_update(skip_locked=True)


async def count(db: Database, terms: Sequence[ColumnElement[bool]], cap: int) -> int:
    """How many tasks match `terms`, counting at most `cap` (cheap on a large backlog)."""
    inner = select(tasks.c.id).where(*terms).limit(cap).subquery()
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(inner))).scalar() or 0)


async def due_ids(db: Database, terms: Sequence[ColumnElement[bool]], limit: int) -> list[str]:
    """Ids of at most `limit` tasks matching `terms` (read only: for the archive and dry runs)."""
    async with db.read() as conn:
        rows = await conn.execute(select(tasks.c.id).where(*terms).limit(limit))
        return [r[0] for r in rows]


async def export(db: Database, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Each task of `ids` as stored, with its attempts and events, for the archive."""
    async with db.read() as conn:
        found = await _rows(conn, select(tasks).where(tasks.c.id.in_(list(ids))))
        attempts = await _rows(
            conn,
            select(task_attempts)
            .where(task_attempts.c.task_id.in_(list(ids)))
            .order_by(task_attempts.c.id),
        )
        events = await _rows(
            conn,
            select(task_events)
            .where(task_events.c.task_id.in_(list(ids)))
            .order_by(task_events.c.id),
        )
    return [
        {
            "task": task,
            "attempts": [a for a in attempts if a["task_id"] == task["id"]],
            "events": [e for e in events if e["task_id"] == task["id"]],
        }
        for task in found
    ]


async def _rows(conn: AsyncConnection, query: Select[Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in await conn.execute(query)]


async def delete_tasks(
    db: Database, terms: Sequence[ColumnElement[bool]], limit: int, ids: Sequence[str] = ()
) -> tuple[list[str], Removed]:
    """Delete at most `limit` tasks matching `terms` (only those of `ids` when given) with their
    attempts and events, in one transaction; the ids deleted and the rows removed."""
    guard = [*terms, tasks.c.id.in_(list(ids))] if ids else list(terms)
    async with db.write() as conn:
        chosen: list[str] = [r[0] for r in await conn.execute(pick(guard, limit))]
        if not chosen:
            return [], Removed()
        gone = await conn.execute(delete(tasks).where(tasks.c.id.in_(chosen), *terms))
        attempts = await conn.execute(
            delete(task_attempts).where(task_attempts.c.task_id.in_(chosen))
        )
        events = await conn.execute(delete(task_events).where(task_events.c.task_id.in_(chosen)))
    return chosen, Removed(gone.rowcount, attempts.rowcount, events.rowcount)


async def expire_keys(db: Database, terms: Sequence[ColumnElement[bool]], limit: int) -> int:
    """Clear the Idempotency-Key of at most `limit` tasks matching `terms`, so a new request may
    use it; how many were cleared."""
    async with db.write() as conn:
        chosen = [r[0] for r in await conn.execute(pick(terms, limit))]
        if not chosen:
            return 0
        done = await conn.execute(
            update(tasks).where(tasks.c.id.in_(chosen)).values(idempotency_key=None)
        )
    return done.rowcount


async def compact_events(
    db: Database, terms: Sequence[ColumnElement[bool]], limit: int, keys: Sealer
) -> tuple[int, int]:
    """Fold the step events of at most `limit` tasks matching `terms` into one summary event
    each (`core.retention.compact`); (tasks marked compacted, events removed)."""
    async with db.write() as conn:
        chosen = [r[0] for r in await conn.execute(pick(terms, limit))]
        if not chosen:
            return 0, 0
        rows = await conn.execute(
            select(
                task_events.c.task_id,
                task_events.c.id,
                task_events.c.type,
                task_events.c.created_at,
            ).where(task_events.c.task_id.in_(chosen), task_events.c.type.not_in(LIFECYCLE))
        )
        plans = compactions((r[0], int(r[1]), r[2], float(r[3])) for r in rows)
        removed = await _fold(conn, list(plans.values()), keys)
        await conn.execute(
            update(tasks).where(tasks.c.id.in_(chosen)).values(events_compacted=true())
        )
    return len(chosen), removed


async def _fold(conn: AsyncConnection, plans: Sequence[Any], keys: Sealer) -> int:
    if not plans:
        return 0
    await conn.execute(
        update(task_events)
        .where(task_events.c.id == bindparam("keep_id"))
        .values(type=SUMMARY_TYPE, data=bindparam("summary_json")),
        [
            {"keep_id": p.keep_id, "summary_json": seal_json(keys, p.summary, EVENT_DATA)}
            for p in plans
        ],
    )
    doomed = [i for p in plans for i in p.delete_ids]
    removed = 0
    for start in range(0, len(doomed), _CHUNK):
        chunk = doomed[start : start + _CHUNK]
        gone = await conn.execute(delete(task_events).where(task_events.c.id.in_(chunk)))
        removed += gone.rowcount
    return removed
