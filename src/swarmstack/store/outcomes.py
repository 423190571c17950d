"""What a recorded outcome becomes: the guarded UPDATE of a success, the `Applied` record, its
event, and the stand-in failure for an outcome the store refused. Called by `store.claims`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.records import Outcome, OutcomeKind
from swarmstack.core.states import TaskStatus, sources_of
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


# The guarded UPDATE of a success (as `transitions.change` builds it), built once: the hot
# path then only binds values, with no statement to build and no cache key to compute.
_SUCCEED = (
    update(tasks)
    .where(
        tasks.c.status.in_(sorted(s.value for s in sources_of(TaskStatus.SUCCEEDED))),
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
    .returning(*SUMMARY)
)


async def apply_success(conn: AsyncConnection, outcome: Outcome, keys: Sealer) -> Applied | None:
    """The hot path: one guarded UPDATE ... RETURNING per successful task (`held_by`'s guard:
    the reporting worker still holds the lease on this attempt)."""
    params = {
        "o_id": outcome.task_id,
        "o_worker": outcome.worker,
        "o_attempt": outcome.attempt,
        "o_result": seal_json(keys, outcome.result, RESULT),
        "o_trace": seal_json_opt(keys, outcome.trace, TRACE),
        "o_usage": maybe(outcome.usage),
        "o_finished_at": outcome.finished_at,
    }
    row = (await conn.execute(_SUCCEED, params)).first()
    if row is None:
        return None
    if row.session and outcome.session_messages:
        await sessions.append(
            conn,
            keys,
            row.session,
            outcome.session_messages,
            outcome.finished_at,
            outcome.session_keep,
        )
    return Applied(outcome, TaskStatus.SUCCEEDED, row.swarm, row.version, row.created_at)


def held_by(outcome: Outcome) -> list[Any]:
    """The reporting worker still holds the lease on this attempt."""
    return [
        tasks.c.id == outcome.task_id,
        tasks.c.status == TaskStatus.RUNNING.value,
        tasks.c.lease_owner == outcome.worker,
        tasks.c.attempts == outcome.attempt,
    ]
