"""What a recorded outcome becomes: the guarded UPDATE of a success, the `Applied` record, its
event, and the stand-in failure for an outcome the store refused. Called by `store.claims`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.records import Outcome, OutcomeKind
from swarmstack.core.states import TaskStatus
from swarmstack.errors import StoreRejected
from swarmstack.security.crypto import Sealer
from swarmstack.store import sessions
from swarmstack.store.codec import RESULT, TRACE, dumps, seal_json, seal_json_opt
from swarmstack.store.tables import tasks
from swarmstack.store.transitions import event_row

# What an applied outcome returns of its task.
SUMMARY = (tasks.c.id, tasks.c.swarm, tasks.c.version, tasks.c.created_at, tasks.c.session)


@dataclass(frozen=True, slots=True)
class Applied:
    """An outcome the store accepted, and the status it led to."""

    outcome: Outcome
    status: TaskStatus
    swarm: str
    version: str | None
    created_at: float


def unrecordable(outcome: Outcome, exc: StoreRejected) -> Outcome:
    """A permanent failure that stands in for an outcome the store refused, saying why."""
    return Outcome(
        outcome.task_id,
        outcome.worker,
        outcome.attempt,
        OutcomeKind.FAILED,
        outcome.finished_at,
        error=(
            f"the {outcome.kind.value} outcome of attempt {outcome.attempt} could not be stored "
            f"({exc.message}); the agent returned a value the store cannot hold. Fix: return "
            "JSON values (str, int, finite float, bool, None, lists, dicts with string keys)"
        ),
        retryable=False,
        started_at=outcome.started_at,
    )


def maybe(value: Any) -> str | None:
    """`value` as plain JSON text, or None (for `usage`, which is not sealed)."""
    return None if value is None else dumps(value)


def event_of(done: Applied, keys: Sealer) -> dict[str, Any]:
    """The event that tells an applied outcome (its error, or its result on success)."""
    o = done.outcome
    kind = "retrying" if done.status is TaskStatus.QUEUED else done.status.value
    data: dict[str, Any] = {"attempt": o.attempt}
    if o.error:
        data["error"] = o.error
    if done.status is TaskStatus.SUCCEEDED:
        data["result"] = o.result
    return event_row(keys, o.task_id, kind, data, o.finished_at)


# What deciding an outcome needs of its task, read with the row locked.
_LOCKED = (*SUMMARY, tasks.c.status, tasks.c.lease_owner, tasks.c.attempts)
_CHUNK = 500

# The guarded UPDATE of a success (as `transitions.change` builds it), built once: the hot
# path then only binds values, one parameter set per task in a single executemany. RUNNING is the
# one state a success may follow (`core.states.sources_of`).
_SUCCEED = (
    update(tasks)
    .where(
        tasks.c.id == bindparam("o_id"),
        tasks.c.status == TaskStatus.RUNNING.value,
        tasks.c.lease_owner == bindparam("o_worker"),
        tasks.c.attempts == bindparam("o_attempt"),
    )
    .values(
        status=TaskStatus.SUCCEEDED.value,
        lease_owner=None,
        lease_expires_at=None,
        result=bindparam("o_result"),
        error=None,
        trace=bindparam("o_trace"),
        usage=bindparam("o_usage"),
        finished_at=bindparam("o_finished_at"),
    )
)


async def lock_tasks(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, Any]:
    """The rows of `ids` (`_LOCKED` columns) by id, locked in id order for the rest of the
    transaction: FOR UPDATE on PostgreSQL, where every writer of several task rows locks them in
    id order (docs/architecture.md); on SQLite the write transaction holds the database."""
    ordered = sorted(set(ids))
    rows: dict[str, Any] = {}
    for start in range(0, len(ordered), _CHUNK):
        query = (
            select(*_LOCKED)
            .where(tasks.c.id.in_(ordered[start : start + _CHUNK]))
            .order_by(tasks.c.id)
            .with_for_update()
        )
        rows |= {str(r.id): r for r in await conn.execute(query)}
    return rows


def holds(row: Any, outcome: Outcome) -> bool:
    """The reporting worker still holds the lease on this attempt (`held_by`, on a read row)."""
    return (
        row is not None
        and row.status == TaskStatus.RUNNING.value
        and row.lease_owner == outcome.worker
        and row.attempts == outcome.attempt
    )


async def apply_successes(
    conn: AsyncConnection, outcomes: Sequence[Outcome], locked: dict[str, Any], keys: Sealer
) -> list[Applied]:
    """The hot path: every success whose worker still holds the lease, in one executemany of
    the guarded UPDATE. `locked` is `lock_tasks` of these tasks, read in this transaction; a
    row is taken out of it once its task has an outcome, so a second report of the same task
    in the batch is ignored (the first wins) and later ones in this transaction see no row.
    The rows stay locked until commit, so the UPDATE's guard holds for every one chosen here."""
    applied: list[Applied] = []
    params: list[dict[str, Any]] = []
    for outcome in outcomes:
        row = locked.get(outcome.task_id)
        if row is None or not holds(row, outcome):
            continue
        del locked[outcome.task_id]
        params.append(
            {
                "o_id": outcome.task_id,
                "o_worker": outcome.worker,
                "o_attempt": outcome.attempt,
                "o_result": seal_json(keys, outcome.result, RESULT),
                "o_trace": seal_json_opt(keys, outcome.trace, TRACE),
                "o_usage": maybe(outcome.usage),
                "o_finished_at": outcome.finished_at,
            }
        )
        applied.append(
            Applied(outcome, TaskStatus.SUCCEEDED, row.swarm, row.version, row.created_at)
        )
        if row.session and outcome.session_messages:
            await sessions.append(
                conn,
                keys,
                row.session,
                outcome.session_messages,
                outcome.finished_at,
                outcome.session_keep,
            )
    if params:
        await conn.execute(_SUCCEED, params)
    return applied


def held_by(outcome: Outcome) -> list[Any]:
    """The reporting worker still holds the lease on this attempt."""
    return [
        tasks.c.id == outcome.task_id,
        tasks.c.status == TaskStatus.RUNNING.value,
        tasks.c.lease_owner == outcome.worker,
        tasks.c.attempts == outcome.attempt,
    ]
