"""The Swarms API shape over a real manager and worker, on the fake LLM server: completions
answer in the Swarms shape, bad bodies get a problem that says what and where. On SQLite and on
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from swarmstack.testing import FakeLLM
from swarmstack.testing.fake_script import plan_answer
from tests.integration.server.conftest import ADMIN_KEY, Node

SWARMS_HEADERS = {"x-api-key": ADMIN_KEY, "Authorization": ""}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def node_store(store_url: str) -> str:
    """Each test runs on SQLite and on PostgreSQL."""
    return store_url


@pytest.fixture
def server_overrides() -> dict[str, object]:
    return {"swarms_api": True, "max_body_bytes": 65536}


@pytest.fixture(autouse=True)
def openai_env(fake: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")


def agent(name: str, prompt: str = "", **extra: Any) -> dict[str, Any]:
    return {"agent_name": name, "system_prompt": prompt, "model_name": "gpt-4o-mini", **extra}


SEQUENTIAL = {
    "name": "Writers",
    "description": "draft then edit",
    "agents": [agent("Drafter", "[[say:a draft]]"), agent("Editor")],
    "swarm_type": "SequentialWorkflow",
    "task": "Write about bees",
}


async def test_swarm_completion_answers_in_the_swarms_shape(node: Node, fake: FakeLLM) -> None:
    response = await node.http.post(
        "/v1/swarm/completions", json=SEQUENTIAL, headers=SWARMS_HEADERS
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["swarm_name"], body["swarm_type"]) == (
        "success",
        "Writers",
        "SequentialWorkflow",
    )
    assert body["task"] == "Write about bees"
    assert body["output"] == [
        {"role": "User", "content": "Write about bees"},
        {"role": "Drafter", "content": "a draft"},
        {"role": "Editor", "content": "echo: a draft"},
    ]
    assert body["result"] == "echo: a draft"
    counts = body["metadata"]["billing_info"]["cost_breakdown"]["token_counts"]
    assert set(counts["per_agent"]) == {"Drafter", "Editor"}
    assert counts["total_tokens"] == body["usage"]["total_tokens"] > 0
    assert body["metadata"]["execution_time_seconds"] >= 0
    assert fake.state.headers[-1]["authorization"] == "Bearer sk-fake"
    task = await node.http.get(f"/api/v1/tasks/{body['job_id']}")
    assert task.json()["swarm"] == "swarms-api"


async def test_bearer_works_too_and_no_key_is_401(node: Node) -> None:
    ok = await node.http.get("/v1/swarms/available")
    assert ok.status_code == 200 and "HierarchicalSwarm" in ok.json()["swarms"]
    anonymous = await node.http.get("/v1/swarms/available", headers={"Authorization": ""})
    assert anonymous.status_code == 401


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # refused before any write
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({**SEQUENTIAL, "swarm_type": "HeavySwarm"}, "use one of: SequentialWorkflow"),
        ({**SEQUENTIAL, "task": None}, "has no task"),
        ({**SEQUENTIAL, "agents": [agent("A", temperature=5)]}, "agents.a.temperature"),
        ({"name": "x", "task": "t"}, "has no agents"),
        ({**SEQUENTIAL, "stream": True}, "stream: true is not supported"),
    ],
)
async def test_bad_bodies_say_what_and_how_to_fix(
    node: Node, body: dict[str, Any], expected: str
) -> None:
    response = await node.http.post("/v1/swarm/completions", json=body)
    assert response.status_code == 422, response.text
    assert expected in response.json()["detail"]


async def test_a_failed_swarm_answers_a_problem_with_its_job_id(node: Node) -> None:
    body = {**SEQUENTIAL, "agents": [agent("Only", "[[status:400]]")]}
    response = await node.http.post("/v1/swarm/completions", json=body)
    assert response.status_code == 500
    problem = response.json()
    assert "HTTP 400" in problem["detail"] and problem["job_id"]


async def test_agent_completion(node: Node) -> None:
    body = {
        "agent_config": agent("Helper", description="helps", temperature=0.2),
        "task": "hi",
        "history": [{"role": "user", "content": "earlier"}],
    }
    response = await node.http.post("/v1/agent/completions", json=body, headers=SWARMS_HEADERS)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["success"] is True and answer["name"] == "Helper"
    assert "earlier" in answer["outputs"] and answer["usage"]["total_tokens"] > 0


async def test_batch_answers_each_item_in_order(node: Node) -> None:
    bad = {**SEQUENTIAL, "name": "bad", "swarm_type": "auto"}
    response = await node.http.post("/v1/swarm/batch/completions", json=[SEQUENTIAL, bad])
    assert response.status_code == 200, response.text
    first, second = response.json()
    assert first["status"] == "success" and first["swarm_name"] == "Writers"
    assert second["status"] == "error" and "not supported" in second["detail"]


async def test_logs_and_models(node: Node) -> None:
    await node.http.post("/v1/swarm/completions", json=SEQUENTIAL)
    logs = (await node.http.get("/v1/swarm/logs")).json()
    assert logs["count"] >= 1
    assert logs["logs"][0]["data"]["swarm_name"] == "Writers"
    assert logs["logs"][0]["data"]["task"] == "Write about bees"
    models = (await node.http.get("/v1/models/available")).json()
    assert models["success"] is True and isinstance(models["models"], list)


def served_usage(fake: FakeLLM, since: int, marker: str) -> tuple[int, int]:
    """Prompt and completion tokens the fake server answered to its requests from number
    `since` on whose system prompt holds `marker` (its answers are a pure function of the
    request)."""
    prompt = completion = 0
    for body in fake.state.requests[since:]:
        if any(marker in str(m.get("content")) for m in body["messages"] if m["role"] == "system"):
            plan = plan_answer(body)
            prompt, completion = prompt + plan.prompt_tokens, completion + plan.completion_tokens
    return prompt, completion


async def test_per_agent_usage_is_what_the_server_reported_for_each_agent(
    node: Node, fake: FakeLLM
) -> None:
    body = {
        "name": "Pair",
        "agents": [
            agent("Alpha", "You are Alpha-7f. [[slow:0.2]] [[say:short]]"),
            agent("Beta", "You are Beta-7f, who talks longer. [[say:a much longer answer]]"),
        ],
        "swarm_type": "ConcurrentWorkflow",  # both at once: neither counts the other's call
        "task": "Compare",
    }
    since = len(fake.state.requests)
    response = await node.http.post("/v1/swarm/completions", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    per_agent = answer["metadata"]["billing_info"]["cost_breakdown"]["token_counts"]["per_agent"]
    for name, marker in (("Alpha", "Alpha-7f"), ("Beta", "Beta-7f")):
        prompt, completion = served_usage(fake, since, marker)
        assert prompt > 0 and completion > 0
        price = (prompt * 0.15 + completion * 0.60) / 1_000_000  # gpt-4o-mini, docs/agents.md
        assert per_agent[name] == {
            "input_tokens": prompt,
            "output_tokens": completion,
            "total_tokens": prompt + completion,
            "total_cost": round(price, 8),
        }
    assert sum(a["input_tokens"] for a in per_agent.values()) == answer["usage"]["input_tokens"]
    assert sum(a["output_tokens"] for a in per_agent.values()) == answer["usage"]["output_tokens"]


async def test_agents_whose_names_share_a_key_keep_their_own_names(node: Node) -> None:
    """`A b` and `a-b` become the agents `a-b` and `a-b-2`; the answer names each by its own
    agent_name, in the transcript and per agent, as does an agent named by `name`."""
    spec = {
        "agents": [
            agent("A b", "[[say:first]]"),
            agent("a-b", "[[say:second]]"),
            {"name": "Third", "system_prompt": "[[say:third]]", "model_name": "gpt-4o-mini"},
        ],
        "swarm_type": "SequentialWorkflow",
        "task": "Go",
    }
    response = await node.http.post("/v1/swarm/completions", json=spec, headers=SWARMS_HEADERS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [m["role"] for m in body["output"]] == ["User", "A b", "a-b", "Third"]
    assert [m["content"] for m in body["output"][1:]] == ["first", "second", "third"]
    counts = body["metadata"]["billing_info"]["cost_breakdown"]["token_counts"]
    assert set(counts["per_agent"]) == {"A b", "a-b", "Third"}
