"""The event of an applied outcome, and the failure that stands in for a refused one."""

from __future__ import annotations

import json

from swarmstack.core.ids import TaskId, WorkerId
from swarmstack.core.records import Outcome, OutcomeKind
from swarmstack.core.states import TaskStatus
from swarmstack.errors import StoreRejected
from swarmstack.security.crypto import Keyring
from swarmstack.store.outcomes import Applied, event_of, maybe, unrecordable

PLAIN = Keyring()  # encryption off: the event's data is the JSON itself
DONE = Outcome(TaskId("t_1"), WorkerId("w"), 2, OutcomeKind.SUCCEEDED, 10.0, result={"a": 1})


def test_a_success_event_carries_the_result_and_a_retry_event_the_error() -> None:
    ok = event_of(Applied(DONE, TaskStatus.SUCCEEDED, "s", "1.0", 1.0), PLAIN)
    assert (ok["type"], json.loads(ok["data"])) == ("succeeded", {"attempt": 2, "result": {"a": 1}})
    failed = Outcome(TaskId("t_1"), WorkerId("w"), 1, OutcomeKind.FAILED, 5.0, error="boom")
    retry = event_of(Applied(failed, TaskStatus.QUEUED, "s", None, 1.0), PLAIN)
    assert (retry["type"], json.loads(retry["data"])) == (
        "retrying",
        {"attempt": 1, "error": "boom"},
    )


def test_a_refused_outcome_becomes_a_permanent_failure_that_says_why() -> None:
    stand_in = unrecordable(DONE, StoreRejected("not a JSON value: NaN"))
    assert (stand_in.kind, stand_in.retryable, stand_in.result) == (OutcomeKind.FAILED, False, None)
    assert "could not be stored (not a JSON value: NaN)" in (stand_in.error or "")
    assert maybe(None) is None and maybe([1]) == "[1]"
