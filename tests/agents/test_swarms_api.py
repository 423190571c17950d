"""The built-in `swarms-api` swarm: its spec, and its agent running a Swarms definition."""

from __future__ import annotations

from typing import Any

import pytest

from swarmstack.agents.context import TaskContext
from swarmstack.agents.swarms_api import SWARM, builtin_spec, definition_spec, run
from swarmstack.errors import InvalidInput, SpecError
from swarmstack.testing import FakeLLM


def test_builtin_spec() -> None:
    spec = builtin_spec()
    assert spec.name == SWARM and spec.runtime.timeout == 300


async def test_run_executes_the_definition_inside_the_task(
    fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch, events: Any
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.base_url)
    ctx = TaskContext(task_id="t", swarm=SWARM, attempt=1, emit=events, secret=lambda _: "k")
    definition = {
        "agents": [{"agent_name": "A"}, {"agent_name": "B"}],
        "swarm_type": "SequentialWorkflow",
    }
    assert await run({"definition": definition, "task": "hi"}, ctx) == "echo: echo: hi"
    assert [s["agent"] for s in ctx.trace] == ["a", "b"]
    assert ctx.usage.llm_calls == 2


@pytest.mark.parametrize("data", ["text", {"definition": {}}, {"task": "t"}])
async def test_run_refuses_other_input(data: Any, events: Any) -> None:
    ctx = TaskContext(task_id="t", swarm=SWARM, attempt=1, emit=events)
    with pytest.raises((InvalidInput, SpecError)):
        await run(data, ctx)


def test_definition_spec_names_where() -> None:
    with pytest.raises(SpecError) as caught:
        definition_spec({"agents": [{"agent_name": "a"}], "swarm_type": "nope"}, "task t")
    assert caught.value.where == "task t"


async def test_model_routes_from_the_input_win_over_the_environment(
    fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch, events: Any
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    ctx = TaskContext(task_id="t", swarm=SWARM, attempt=1, emit=events, secret=lambda _: "k")
    definition = {"agent_config": {"agent_name": "A", "model_name": "local-model"}}
    data = {"definition": definition, "task": "hi", "routes": {"local-model": fake_llm.base_url}}
    assert await run(data, ctx) == "echo: hi"
