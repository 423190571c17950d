"""Submitting, reading, listing and cancelling tasks. Called by the manager's API.

Invariant: a submit is one INSERT committed before the API answers 202; the same
Idempotency-Key with the same request returns the stored task, with another request is 409,
also when two managers receive it at the same instant: on PostgreSQL a batch first takes a
transaction-scoped advisory lock per idempotency key and per session (in one global order, so
batches cannot deadlock), then reads what is stored; SQLite serialises writers anyway. A batch
the store refuses is retried item by item, so one bad item never fails its batch-mates. The
version a task is stored on is checked against the swarm's rollout state in the same
transaction: never one that no longer runs (`store.reroute`).
"""

from __future__ import annotations

import builtins
import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.ids import TaskId
from swarmstack.core.records import NewTask, TaskPage, TaskRecord
from swarmstack.core.states import TERMINAL, TaskStatus
from swarmstack.errors import Conflict, DecryptionFailed, NotFound, StoreRejected, SwarmstackError
from swarmstack.security.crypto import Keyring, Sealer
from swarmstack.store import reroute, sessions
from swarmstack.store.codec import (
    ERROR,
    refused_names,
    seal_text,
    task_from_row,
    unstorable_chars,
)
from swarmstack.store.engine import Database
from swarmstack.store.tables import task_attempts, tasks
from swarmstack.store.task_rows import insert_rows, row_values
from swarmstack.store.transitions import add_events, change, event_row

log = logging.getLogger(__name__)
ID_LENGTH = 40  # tasks.id is String(40)

SubmitResult = TaskRecord | SwarmstackError
_LOCK_KEYS = text(
    "SELECT pg_advisory_xact_lock(k) FROM unnest(:keys) WITH ORDINALITY AS t(k, n) ORDER BY n"
).bindparams(bindparam("keys", type_=ARRAY(BIGINT)))


class TaskStore:
    """Task reads and client-side writes."""

    def __init__(self, db: Database, keys: Sealer | None = None) -> None:
        self.db = db
        self.keys: Sealer = keys if keys is not None else Keyring()

    async def submit_many(self, batch: Sequence[NewTask]) -> list[SubmitResult]:
        """Store a batch in one transaction; per item the stored task or why it was refused.

        If the store refuses the batch (`StoreRejected`), each item is retried alone and only
        the items it still refuses get that error. Raises `StoreUnavailable`.
        """
        try:
            return await self._submit(batch)
        except StoreRejected as exc:
            if len(batch) == 1:
                return [exc]
            log.warning("isolating %d submits after the store refused one: %s", len(batch), exc)
        results: list[SubmitResult] = []
        for task in batch:
            results += await self.submit_many([task])
        return results

    async def _submit(self, batch: Sequence[NewTask]) -> list[SubmitResult]:
        refused = {t.id: r for t in batch if (r := refused_names(t)) is not None}
        valid = [t for t in batch if t.id not in refused]
        async with self.db.write() as conn:
            if not self.db.is_sqlite:
                await _lock_keys(conn, valid)
            # Before any task row is locked (a session interrupt): see store.reroute
            live = await reroute.states(conn, {t.swarm for t in valid if t.version})
            keyed = [t.idempotency_key for t in valid if t.idempotency_key]
            existing = await _by_keys(conn, keyed, self.keys)
            results: list[SubmitResult] = []
            rows: list[tuple[Any, ...]] = []
            events: list[dict[str, Any]] = []
            busy: set[str] = set()
            for task in batch:
                result = (
                    refused.get(task.id)
                    or _dedupe(task, existing)
                    or reroute.refusal(task, live.get(task.swarm))
                    or await sessions.gate(conn, task, busy, self.keys)
                )
                if result is None:
                    task, event = reroute.placed(self.keys, task, live.get(task.swarm))
                    rows.append(row_values(task, self.keys))
                    events += [event] if event is not None else []
                    result = _record_of(task)
                    if task.idempotency_key:
                        existing[task.idempotency_key] = result
                results.append(result)
            await insert_rows(conn, rows, sqlite=self.db.is_sqlite)
            await add_events(conn, events)
        return results

    async def get(self, task_id: str) -> TaskRecord:
        """One task with every failed attempt's error; NotFound if there is none."""
        _check_id(task_id)
        async with self.db.read() as conn:
            row = (await conn.execute(select(tasks).where(tasks.c.id == task_id))).first()
            if row is None:
                raise NotFound(f"no task {task_id!r}", fix="check the id from the submit answer")
            if not _may_have_failed_attempts(row.status, row.attempts):
                return task_from_row(row, self.keys, [])
            attempts = await conn.execute(
                select(
                    task_attempts.c.attempt,
                    task_attempts.c.version,
                    task_attempts.c.status,
                    task_attempts.c.error,
                    task_attempts.c.worker,
                    task_attempts.c.finished_at,
                )
                .where(task_attempts.c.task_id == task_id)
                .order_by(task_attempts.c.attempt)
            )
            return task_from_row(row, self.keys, [dict(a._mapping) for a in attempts])

    async def get_many(self, ids: Sequence[str]) -> list[TaskRecord]:
        """Tasks by id (missing ids are left out)."""
        async with self.db.read() as conn:
            rows = await conn.execute(select(tasks).where(tasks.c.id.in_(list(ids))))
            return [task_from_row(r, self.keys) for r in rows]

    async def finished_among(self, ids: Sequence[str]) -> builtins.list[str]:
        """Those of `ids` that have an outcome (ids only: waiters need nothing more, and
        nothing is decrypted for them)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(tasks.c.id).where(
                    tasks.c.id.in_(list(ids)), tasks.c.status.in_([s.value for s in TERMINAL])
                )
            )
            return [r[0] for r in rows]

    async def list(
        self,
        *,
        status: str | None = None,
        swarm: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        owner: str | None = None,
        tenant: str | None = None,
    ) -> TaskPage:
        """Newest first; `cursor` is the last id of the previous page; `owner` and `tenant`
        keep only the tasks of that principal and tenant."""
        query = select(tasks).order_by(tasks.c.id.desc()).limit(limit + 1)
        if owner:
            query = query.where(tasks.c.owner == owner)
        if tenant:
            query = query.where(tasks.c.tenant == tenant)
        if status:
            query = query.where(tasks.c.status == status)
        if swarm:
            query = query.where(tasks.c.swarm == swarm)
        if cursor:
            query = query.where(tasks.c.id < cursor)
        async with self.db.read() as conn:
            items = [task_from_row(r, self.keys) for r in await conn.execute(query)]
        more = len(items) > limit
        items = items[:limit]
        return TaskPage(items, items[-1].id if more and items else None)

    async def cancel(self, task_id: str, now: float, by: str) -> TaskRecord:
        """Cancel a queued or running task; its outcome is `cancelled` from now on.

        Raises NotFound, or Conflict when the task already has an outcome (also when that
        outcome was recorded while this cancel ran: the first outcome wins)."""
        _check_id(task_id)
        async with self.db.write() as conn:
            changed = await change(
                conn,
                TaskStatus.CANCELLED,
                [tasks.c.id == task_id],
                _cancelled_values(now, seal_text(self.keys, f"cancelled by {by}", ERROR)),
                returning=(tasks.c.id,),
            )
            await add_events(
                conn, [event_row(self.keys, r.id, "cancelled", {"by": by}, now) for r in changed]
            )
        if not changed:
            current = await self.get(task_id)  # raises NotFound
            raise Conflict(f"task {task_id} already {current.status}; nothing to cancel")
        return await self.get(task_id)

    async def queued_versions(
        self, swarms: Sequence[str], limit: int = 100
    ) -> builtins.list[tuple[str, str]]:
        """Distinct (swarm, version) pairs of queued tasks of `swarms` (for workers to load, and
        for the leader to report versions no worker runs), at most `limit`. A skip scan of
        `ix_tasks_queued_versions`: one index probe per version, however deep the backlog."""
        found: builtins.list[tuple[str, str]] = []
        async with self.db.read() as conn:
            for swarm in sorted(set(swarms)):
                if len(found) >= limit:
                    break
                rows = await conn.execute(
                    _QUEUED_VERSIONS, {"swarm": swarm, "limit": limit - len(found)}
                )
                found += [(str(r.swarm), str(r.version)) for r in rows]
        return found

    async def count_queued(self, owner: str, at_most: int | None = None) -> int:
        """Queued tasks submitted by principal `owner`, counted up to `at_most` (a cap check
        then costs at most the cap)."""
        async with self.db.read() as conn:
            return int((await conn.execute(count_queued_query(owner, at_most))).scalar_one())

    async def queue_depth(self) -> dict[str, int]:
        """Queued tasks per swarm."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(tasks.c.swarm, func.count())
                .where(tasks.c.status == TaskStatus.QUEUED.value)
                .group_by(tasks.c.swarm)
            )
            return {r[0]: int(r[1]) for r in rows}


def count_queued_query(owner: str, at_most: int | None = None) -> Select[int]:
    """How many tasks `owner` has queued, up to `at_most`: read from the (owner, status)
    index alone on PostgreSQL (an index-only scan)."""
    mine = (
        select(tasks.c.owner)
        .where(tasks.c.owner == owner, tasks.c.status == TaskStatus.QUEUED.value)
        .limit(at_most)
        .subquery()
    )
    return select(func.count()).select_from(mine)


# A skip scan (a "loose index scan") over ix_tasks_queued_versions: the first version of the
# swarm, then each next greater one, one index probe each. The literals match the partial index's
# predicate, which the planners need to see to use it (a bound status could be anything).
_QUEUED_VERSIONS = text(
    """
    WITH RECURSIVE pairs(swarm, version) AS (
        SELECT first_pair.swarm, first_pair.version FROM (
            SELECT tasks.swarm AS swarm, tasks.version AS version FROM tasks
            WHERE tasks.status = 'queued' AND tasks.version IS NOT NULL AND tasks.swarm = :swarm
            ORDER BY tasks.version LIMIT 1
        ) AS first_pair
        UNION ALL
        SELECT pairs.swarm, (
            SELECT t.version FROM tasks AS t
            WHERE t.status = 'queued' AND t.version IS NOT NULL AND t.swarm = pairs.swarm
                AND t.version > pairs.version
            ORDER BY t.version LIMIT 1
        ) FROM pairs WHERE pairs.version IS NOT NULL
    )
    SELECT swarm, version FROM pairs WHERE version IS NOT NULL LIMIT :limit
    """
)


def _may_have_failed_attempts(status: str, attempts: int) -> bool:
    """Whether `task_attempts` may hold rows of this task: one is written for each attempt that
    ended without success (`claims`, `sweeper`), so not before the first attempt, nor for a task
    whose first attempt succeeded. Saves a `?wait=` or a poll its second statement."""
    return attempts > 1 or (attempts == 1 and status != TaskStatus.SUCCEEDED.value)


def _check_id(task_id: str) -> None:
    """NotFound, without asking the store, for an id no task can have (too long, or with a
    character no backend compares as text): both backends answer alike."""
    if len(task_id) > ID_LENGTH or unstorable_chars(task_id):
        raise NotFound(f"no task {task_id[:60]!r}", fix="check the id from the submit answer")


def _cancelled_values(now: float, reason: str | None) -> dict[str, Any]:
    return {"finished_at": now, "lease_owner": None, "lease_expires_at": None, "error": reason}


async def _lock_keys(conn: AsyncConnection, batch: Sequence[NewTask]) -> None:
    """Take a transaction-scoped advisory lock per idempotency key and session of `batch`, in
    ascending order of their 63-bit hashes, so concurrent batches serialise per key and never
    deadlock (PostgreSQL manual, "Advisory Locks")."""
    names = {f"k:{t.idempotency_key}" for t in batch if t.idempotency_key}
    names |= {f"s:{t.session}" for t in batch if t.session}
    if names:
        keys = sorted({_lock_id(n) for n in names})
        await conn.execute(_LOCK_KEYS, {"keys": keys})


def _lock_id(name: str) -> int:
    digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def _by_keys(
    conn: AsyncConnection, names: list[str], keys: Sealer
) -> dict[str, SubmitResult]:
    if not names:
        return {}
    rows = await conn.execute(select(tasks).where(tasks.c.idempotency_key.in_(names)))
    return {r.idempotency_key: _stored(r, keys) for r in rows}


def _stored(row: Any, keys: Sealer) -> SubmitResult:
    """A stored task, or why it cannot be read: that error answers only its own submit."""
    try:
        return task_from_row(row, keys)
    except DecryptionFailed as exc:
        return exc


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
        owner=task.owner,
        tenant=task.tenant,
        traceparent=task.traceparent,
    )
