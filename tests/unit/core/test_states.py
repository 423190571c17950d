"""Every pair of states: legal transitions are exactly the documented ones."""

from __future__ import annotations

import itertools

import pytest

from swarmstack.core.states import TERMINAL, Priority, TaskStatus, can_transition, sources_of

LEGAL = {
    (TaskStatus.QUEUED, TaskStatus.RUNNING),
    (TaskStatus.QUEUED, TaskStatus.CANCELLED),
    (TaskStatus.RUNNING, TaskStatus.QUEUED),
} | {(TaskStatus.RUNNING, t) for t in TERMINAL}


@pytest.mark.parametrize(("current", "new"), list(itertools.product(TaskStatus, TaskStatus)))
def test_transition_table(current: TaskStatus, new: TaskStatus) -> None:
    legal = (current, new) in LEGAL
    assert can_transition(current, new) is legal
    assert (current in sources_of(new)) is legal


def test_outcomes_are_final() -> None:
    for status in TERMINAL:
        assert status.terminal
        assert not any(can_transition(status, other) for other in TaskStatus)


def test_sources_of_cancelled_are_queued_and_running() -> None:
    assert sources_of(TaskStatus.CANCELLED) == {TaskStatus.QUEUED, TaskStatus.RUNNING}


def test_priorities_order_high_first() -> None:
    assert Priority.value("high") > Priority.value("normal") > Priority.value("low")
    assert Priority.name(Priority.value("low")) == "low"
    assert Priority.name(7) == "normal"


def test_task_ids_strictly_increase_within_a_process() -> None:
    from swarmstack.core.ids import new_task_id

    ids = [new_task_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
