"""Every Swarms swarm type, imported and loaded as a swarm, run as a durable task by a real
manager and worker on the fake LLM server, on SQLite and on PostgreSQL: the result, the trace
and the step events (the checkpoints a retry resumes from) come back from the store; budgets
and cancellation apply."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from swarmstack.spec import SwarmSpec
from swarmstack.spec.swarms import import_text, runnable
from swarmstack.testing import FakeLLM
from tests.integration.server.conftest import Node

ORDERS = '{"plan": "p", "orders": [{"agent_name": "Finance", "task": "numbers"}]}'


def agent(name: str, prompt: str = "", **extra: Any) -> dict[str, Any]:
    return {"agent_name": name, "system_prompt": prompt, "model_name": "gpt-4o-mini", **extra}


Check = Callable[[Any, list[str]], bool]

# name: (Swarms definition, task, a check of the result and the finished steps in order)
TYPES: dict[str, tuple[dict[str, Any], str, Check]] = {
    "sequential": (
        {"agents": [agent("A"), agent("B")], "swarm_type": "SequentialWorkflow", "max_loops": 2},
        "go",
        lambda r, s: r == "echo: echo: echo: echo: go" and s == ["0:a", "1:b", "2:a", "3:b"],
    ),
    "concurrent": (
        {
            "agents": [agent("Ok"), agent("Broken", "[[status:400]]")],
            "swarm_type": "ConcurrentWorkflow",
        },
        "go",
        lambda r, s: r["ok"] == "echo: go" and "HTTP 400" in r["_errors"]["broken"],
    ),
    "rearrange": (
        {
            "agents": [agent("A", "[[say:from a]]"), agent("B"), agent("C"), agent("D")],
            "swarm_type": "AgentRearrange",
            "rearrange_flow": "A -> B, C -> D",
        },
        "go",
        lambda r, s: (
            json.loads(r.removeprefix("echo: ")) == {"b": "echo: from a", "c": "echo: from a"}
            and s[0] == "node:a"
            and s[-1] == "node:d"
        ),
    ),
    "graph": (
        {
            "agents": [
                agent("Plan", "[[say:plan]]"),
                agent("X"),
                agent("Y"),
                agent("J", "[[say:j]]"),
            ],
            "edges": [["Plan", ["X", "Y"]], [["X", "Y"], "J"]],
            "end_points": ["J"],
        },
        "go",
        lambda r, s: r == "j" and s[0] == "node:Plan" and s[-1] == "node:J",
    ),
    "mixture": (
        {
            "agents": [agent("A"), agent("B"), agent("Agg", "[[say:synthesis]]")],
            "swarm_type": "MixtureOfAgents",
            "max_loops": 2,
        },
        "go",
        lambda r, s: r == "synthesis" and len(s) == 3 * 2 + 1,
    ),
    "hierarchical": (
        {
            "agents": [
                agent("Chair", f"[[say:{ORDERS}]]", role="director"),
                agent("Finance", "[[say:profit up]]"),
                agent("Legal"),
            ],
            "swarm_type": "HierarchicalSwarm",
            "max_loops": 2,
        },
        "Expand?",
        lambda r, s: r["results"] == {"finance": "profit up"} and "loop2:order0:finance" in s,
    ),
    "voting": (
        {"agents": [agent("A"), agent("B"), agent("C")], "swarm_type": "MajorityVoting"},
        "2+2?",
        lambda r, s: r.startswith("echo: ") and s[-1] == "aggregate:consensus",
    ),
    "chat": (
        {"agents": [agent("A"), agent("B")], "swarm_type": "GroupChat", "max_loops": 2},
        "talk",
        lambda r, s: [m["role"] for m in r] == ["a", "b", "a", "b"] and len(s) == 4,
    ),
    "router": (
        {
            "agents": [
                agent("Boss", "[[say:Billing]]", role="router"),
                agent("Billing", "[[say:refund sent]]"),
                agent("Tech", "[[say:reboot]]"),
            ],
            "swarm_type": "MultiAgentRouter",
        },
        "my card",
        lambda r, s: r == "refund sent",
    ),
}
LOOPING = {"agents": [agent("A"), agent("B")], "swarm_type": "SequentialWorkflow", "max_loops": 5}
SLOW_CHAT = {"agents": [agent("A", "[[slow:5]]")], "swarm_type": "GroupChat", "max_loops": 3}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def node_store(store_url: str) -> str:
    return store_url


def imported(name: str, doc: dict[str, Any], fake: FakeLLM, **runtime: Any) -> SwarmSpec:
    spec = runnable(
        import_text(json.dumps({**doc, "name": name}), name),
        {"OPENAI_BASE_URL": fake.base_url},
        name,
    )
    data = spec.model_dump()
    data["runtime"] |= {"retry_attempts": 0, **runtime}
    return SwarmSpec.model_validate(data)


@pytest.fixture
def swarms(fake: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> list[SwarmSpec]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")
    return [
        *(imported(name, doc, fake) for name, (doc, _, _) in TYPES.items()),
        imported("looping", LOOPING, fake, budget={"max_steps": 3}),
        imported("slow-chat", SLOW_CHAT, fake),
    ]


async def submit(node: Node, swarm: str, task: str, wait_s: int = 20) -> dict[str, Any]:
    body = {"swarm": swarm, "input": task}
    answer: dict[str, Any] = (
        await node.http.post(f"/api/v1/tasks?wait={wait_s}", json=body)
    ).json()
    return answer


async def stored_steps(node: Node, task_id: str, kind: str = "step_finished") -> list[str]:
    events = await node.store.events.after(task_id)
    return [e.data["step"] for e in events if e.type == kind]


@pytest.mark.parametrize("name", list(TYPES))
async def test_each_swarm_type_runs_as_a_durable_task(node: Node, name: str) -> None:
    _, task, check = TYPES[name]
    done = await submit(node, name, task)
    assert done["status"] == "succeeded", done
    finished = await stored_steps(node, done["id"])  # stored before the outcome
    assert check(done["result"], finished), (done["result"], finished)
    assert finished == [s["step"] for s in done["trace"] if "output" in s]
    assert done["usage"]["llm_calls"] == len(finished)


async def test_a_budget_stops_a_looping_swarm(node: Node) -> None:
    done = await submit(node, "looping", "go")
    assert done["status"] == "budget_exceeded" and "max_steps" in done["error"]
    assert done["usage"]["steps"] == 4 and len(done["trace"]) == 3  # the 4th went over


async def test_cancel_stops_a_group_chat_mid_turn(node: Node) -> None:
    started = await submit(node, "slow-chat", "talk", wait_s=0)
    for _ in range(200):
        if await stored_steps(node, started["id"], "step_started"):
            break
        await asyncio.sleep(0.025)
    cancelled = await node.http.post(f"/api/v1/tasks/{started['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    for _ in range(200):
        task = (await node.http.get(f"/api/v1/tasks/{started['id']}")).json()
        if task["status"] == "cancelled":
            break
        await asyncio.sleep(0.025)
    assert task["status"] == "cancelled"
    assert await stored_steps(node, started["id"]) == []
