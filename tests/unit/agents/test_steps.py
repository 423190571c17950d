"""Step checkpoints: which outputs a retried task takes from its earlier attempts. Pure."""

from __future__ import annotations

from swarmstack.agents.context import TaskContext
from swarmstack.agents.steps import checkpoints_of, restore


def test_checkpoints_are_the_finished_steps_outputs() -> None:
    events = [
        ("step_started", {"step": "0:a"}),
        ("step_finished", {"step": "0:a", "output": "x"}),
        ("step_failed", {"step": "1:b", "error": "boom"}),
        ("token", {"text": "t"}),
        ("step_finished", {"step": "2:c", "output": None}),
    ]
    assert checkpoints_of(events) == {"0:a": "x", "2:c": None}


def test_restore_records_the_step_as_restored() -> None:
    seen: list[tuple[str, dict[str, object]]] = []
    ctx = TaskContext("t", "s", 2, lambda kind, data: seen.append((kind, data)))
    ctx.checkpoints["0:a"] = {"k": 1}
    assert restore(ctx, "0:a", "a") == {"k": 1}
    assert ctx.trace[0]["restored"] is True and ctx.usage.steps == 0
    assert seen == [("step_restored", {"step": "0:a", "agent": "a"})]
