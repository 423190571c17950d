"""What a recorded outcome becomes: the `Applied` record, its event, and the stand-in failure
for an outcome the store refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmstack.core.records import Outcome, OutcomeKind
from swarmstack.core.states import TaskStatus
from swarmstack.errors import StoreRejected
from swarmstack.store.codec import dumps
from swarmstack.store.transitions import event_row


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
    """`value` as JSON text, or None."""
    return None if value is None else dumps(value)


def event_of(done: Applied) -> dict[str, Any]:
    """The event that tells an applied outcome (its error, or its result on success)."""
    o = done.outcome
    kind = "retrying" if done.status is TaskStatus.QUEUED else done.status.value
    data: dict[str, Any] = {"attempt": o.attempt}
    if o.error:
        data["error"] = o.error
    if done.status is TaskStatus.SUCCEEDED:
        data["result"] = o.result
    return event_row(o.task_id, kind, data, o.finished_at)
