"""The submit answers built as plain values serialise byte for byte as the documented models."""

from __future__ import annotations

from typing import Any

import pytest

from swarmstack.core.ids import TaskId
from swarmstack.core.records import TaskRecord
from swarmstack.core.states import TaskStatus
from swarmstack.errors import Conflict, NotFound, StoreUnavailable, SwarmstackError
from swarmstack.server.answers import batch_json, task_json, task_view
from swarmstack.server.problems import problem_of
from swarmstack.server.schemas import BatchItemOut, BatchOut, TaskOut

PATH = "/api/v1/tasks/batch"


def record(**changes: Any) -> TaskRecord:
    fields: dict[str, Any] = {
        "id": TaskId("t_01abc"),
        "swarm": "echo",
        "status": TaskStatus.QUEUED,
        "priority": 5,
        "input": {"n": 1},
        "attempts": 0,
        "max_attempts": 3,
        "timeout_s": 30.0,
        "created_at": 1_700_000_000.123456,
    }
    return TaskRecord(**{**fields, **changes})


RECORDS = [
    record(),
    record(timeout_s=30, created_at=1_700_000_000, priority=9),  # ints where floats belong
    record(priority=7),  # between two named priorities
    record(
        status=TaskStatus.FAILED,
        input=["ü", 1e16, -0.0, 2**70, None, True, {"x": [1.5, "\u0000"]}],
        result={"out": "é"},
        error="boom",
        attempts=2,
        started_at=1_700_000_001,
        finished_at=1_700_000_002.5,
        version="1.2.0",
        session="alice:s1",
        owner="alice",
        usage={"tokens": 12, "cost_usd": 0.5},
        trace=[{"agent": "a", "ms": 3}],
        attempt_errors=[
            {
                "attempt": 1,
                "version": None,
                "status": "failed",
                "error": "x",
                "worker": "w-1",
                "finished_at": 1_700_000_001,
            }
        ],
    ),
    record(session="acme:s2", owner="bob", tenant="acme", status=TaskStatus.SUCCEEDED),
]


@pytest.mark.parametrize("task", RECORDS)
def test_a_task_answer_is_the_task_out_model_byte_for_byte(task: TaskRecord) -> None:
    model = TaskOut.of(task)
    assert task_json(task) == model.model_dump_json().encode()
    assert task_view(task) == model.model_dump(mode="json")


def test_a_batch_answer_is_the_batch_out_model_byte_for_byte() -> None:
    errors: list[SwarmstackError] = [
        NotFound("no swarm named 'x'", fix="use one of: echo"),
        Conflict("this Idempotency-Key was used with a different request", task_id="t_1"),
        StoreUnavailable("down"),
    ]
    results: list[TaskRecord | SwarmstackError] = [*RECORDS, *errors]
    items = [
        BatchItemOut(index=i, status=r.status, problem=problem_of(r, PATH))
        if isinstance(r, SwarmstackError)
        else BatchItemOut(index=i, status=200 if r.status.terminal else 202, task=TaskOut.of(r))
        for i, r in enumerate(results)
    ]
    model = BatchOut(accepted=len(RECORDS), refused=len(errors), tasks=items)
    assert batch_json(results, PATH) == model.model_dump_json().encode()
