"""Swarms API bodies and answers built from task records. Pure."""

from __future__ import annotations

from typing import Any

import pytest

from swarmstack.core.records import TaskRecord
from swarmstack.core.states import TaskStatus
from swarmstack.errors import InvalidInput
from swarmstack.server.swarms_shape import (
    AgentCompletionIn,
    SwarmSpecIn,
    agent_completion,
    log_entry,
    swarm_completion,
    usage_of,
)


def step(name: str, agent: str, prompt: int, completion: int, cost: float, **more: Any) -> Any:
    spent = {"prompt_tokens": prompt, "completion_tokens": completion, "cost_usd": cost}
    return {"step": name, "agent": agent, "tokens": prompt + completion, **spent, **more}


def task(**fields: Any) -> TaskRecord:
    base: dict[str, Any] = {
        "id": "t_1",
        "swarm": "swarms-api",
        "status": TaskStatus.SUCCEEDED,
        "priority": 1,
        "input": {"kind": "swarm", "definition": {"name": "Duo"}, "task": "go"},
        "attempts": 1,
        "max_attempts": 3,
        "timeout_s": 300.0,
        "created_at": 1_700_000_000.0,
        "submitted_by": "admin",
        "result": "done",
        "trace": [
            step("0:writer", "writer", 25, 5, 0.003, output="draft"),
            step("1:editor", "editor", 5, 5, 0.001, error="boom"),
            step("2:writer", "writer", 0, 0, 0.0, output="again", restored=True),
            step("swarm", "swarm", 30, 10, 0.004, output="done"),
        ],
        "usage": {"prompt_tokens": 30, "completion_tokens": 10, "cost_usd": 0.004},
        "started_at": 1_700_000_001.0,
        "finished_at": 1_700_000_003.5,
    }
    return TaskRecord(**{**base, **fields})


def test_task_text_comes_from_task_then_messages() -> None:
    assert SwarmSpecIn(task="t").task_text() == "t"
    messages = SwarmSpecIn(messages=[{"role": "user", "content": "hi"}])
    assert messages.task_text() == "user: hi"
    with pytest.raises(InvalidInput, match="no task"):
        SwarmSpecIn().task_text()
    with pytest.raises(InvalidInput, match="stream"):
        SwarmSpecIn(task="t", stream=True).task_text()


def test_definition_leaves_the_task_out_and_keeps_unknown_keys() -> None:
    body = SwarmSpecIn(name="n", task="t", agents=[], service_tier="flex")
    assert body.definition() == {"name": "n", "agents": [], "max_loops": 1, "service_tier": "flex"}


def test_swarm_completion_carries_both_documented_shapes() -> None:
    body = SwarmSpecIn(
        name="Duo",
        swarm_type="SequentialWorkflow",
        agents=[{"agent_name": "Writer"}, {"agent_name": "Editor"}],
    )
    answer = swarm_completion(task(), body, "go")
    assert answer["status"] == "success" and answer["job_id"] == "t_1"
    assert answer["output"] == [
        {"role": "User", "content": "go"},
        {"role": "Writer", "content": "draft"},
        {"role": "Writer", "content": "again"},
    ]
    assert answer["execution_time"] == answer["metadata"]["execution_time_seconds"] == 2.5
    breakdown = answer["metadata"]["billing_info"]["cost_breakdown"]
    assert breakdown["token_counts"]["per_agent"] == {
        "Writer": {"input_tokens": 25, "output_tokens": 5, "total_tokens": 30, "total_cost": 0.003},
        "Editor": {"input_tokens": 5, "output_tokens": 5, "total_tokens": 10, "total_cost": 0.001},
    }
    assert answer["usage"]["total_tokens"] == 40 and answer["number_of_agents"] == 2
    assert breakdown["input_token_cost"] == 0.003 and breakdown["output_token_cost"] == 0.001


def test_usage_without_tokens_is_zero() -> None:
    usage = usage_of(task(usage=None, trace=None), {})
    assert usage["totals"] == {
        "input_tokens": 0,
        "output_tokens": 0,
        "total_tokens": 0,
        "total_cost": 0.0,
    }


def test_agent_completion_and_history() -> None:
    body = AgentCompletionIn(
        agent_config={"agent_name": "Helper", "temperature": 0.3},
        task="now",
        history=[{"role": "user", "content": "before"}],
    )
    assert body.task_text() == "History:\nuser: before\n\nTask:\nnow"
    answer = agent_completion(task(), body)
    assert answer["success"] and answer["outputs"] == "done" and answer["temperature"] == 0.3


def test_log_entry_redacts_the_key_name() -> None:
    entry = log_entry(task())
    assert entry["api_key"] == "admi…"
    assert entry["data"]["swarm_name"] == "Duo" and entry["data"]["action"] == "swarm_completion"
