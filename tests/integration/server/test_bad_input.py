"""Bad input through the API: a 422 that names the field, never a 5xx, never a failed neighbour;
bad agent output stored safely or failed with a reason while the worker goes on."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from tests.integration.server.conftest import Node


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"swarm": "echo", "input": 1, "session": "a\u0000b"}, "session"),
        ({"swarm": "echo", "input": 1, "session": "a\ud800b"}, "session"),
        ({"swarm": "ec\u0000ho", "input": 1}, "swarm"),
        ({"swarm": "echo", "input": {"t": "a\ud800"}}, "input"),
        ({"swarm": "echo", "input": "x", "session": "s" * 201}, "session"),
    ],
)
async def test_unstorable_text_is_a_422_naming_the_field(
    node: Node, body: dict[str, Any], field: str
) -> None:
    raw = json.dumps(body).encode()  # ASCII with \uXXXX escapes, as a client would send
    response = await node.http.post(
        "/api/v1/tasks", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert field in response.text


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ('{"swarm": "echo", "input": NaN}', "NaN"),
        ('{"swarm": "echo", "input": {"x": [Infinity]}}', "Infinity at 'x[0]'"),
        ('{"task": -Infinity}', "-Infinity"),
        ('{"swarm": "echo", "input": ' + "[" * 100 + "]" * 100 + "}", "deeper"),
    ],
)
async def test_json_that_strict_json_cannot_hold_is_a_422(
    node: Node, raw: str, needle: str
) -> None:
    path = "/api/v1/task" if raw.startswith('{"task"') else "/api/v1/tasks"
    response = await node.http.post(
        path, content=raw.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert needle in response.text


async def test_a_refused_submit_never_fails_its_neighbours(node: Node) -> None:
    bad = {"swarm": "echo", "input": 1, "session": "x\u0000"}
    answers = await asyncio.gather(
        *(
            node.http.post("/api/v1/tasks", json=bad if i % 2 else {"swarm": "echo", "input": i})
            for i in range(40)
        )
    )
    assert [r.status_code for r in answers] == [422 if i % 2 else 202 for i in range(40)]


async def test_nul_in_json_input_round_trips(node: Node) -> None:
    response = await node.http.post(
        "/api/v1/tasks", params={"wait": 10}, json={"swarm": "echo", "input": "a\u0000b"}
    )
    assert response.status_code == 200
    assert response.json()["result"] == "a\u0000b"


@pytest.mark.parametrize(
    ("data", "status", "check"),
    [
        ({"raise": "bad byte \u0000 here"}, "failed", "bad byte \ufffd here"),
        ({"return": "nul"}, "succeeded", "a\u0000b"),
        ({"return": "surrogate"}, "succeeded", "a\ufffdb"),
        ({"return": "nan"}, "failed", "could not be stored"),
        ({"return": "object"}, "succeeded", "<object object at"),  # Python agents: str()
    ],
)
async def test_bad_agent_output_is_stored_safely_and_the_worker_goes_on(
    node: Node, data: dict[str, Any], status: str, check: str
) -> None:
    response = await node.http.post(
        "/api/v1/tasks", params={"wait": 10}, json={"swarm": "produce", "input": data}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == status
    assert check in (body["result"] if status == "succeeded" else body["error"])
    after = await node.http.post(
        "/api/v1/tasks", params={"wait": 10}, json={"swarm": "echo", "input": "next"}
    )
    assert after.json()["result"] == "next"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/tasks/t_%00", 404),
        ("POST", "/api/v1/tasks/t_%00/cancel", 404),
        ("GET", "/api/v1/tasks/t_%00/events", 404),
        ("GET", "/api/v1/tasks?swarm=a%00b", 422),
        ("GET", "/api/v1/tasks?cursor=t_%00", 422),
    ],
)
async def test_nul_in_paths_and_queries_is_a_client_error(
    node: Node, method: str, path: str, status: int
) -> None:
    response = await node.http.request(method, path)
    assert response.status_code == status, response.text


async def test_a_provider_retry_after_sets_the_task_level_retry(node: Node) -> None:
    """The swarm's retry_delay is 0 s; the provider asked for 45 s: the retry waits 45 s."""
    response = await node.http.post("/api/v1/tasks", json={"swarm": "overloaded", "input": 1})
    task_id = response.json()["id"]
    for _ in range(400):
        task = await node.store.tasks.get(task_id)
        if task.attempts == 1 and task.status.value == "queued":
            break
        await asyncio.sleep(0.025)
    assert (task.status.value, task.attempts) == ("queued", 1)
    assert 40 < task.run_at - time.time() <= 46
    assert "HTTP 429" in (task.error or "")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_not_sent_as_json_says_the_content_type_must_be_json(
    node: Node, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await node.http.post(
        "/api/v1/tasks", content=b'{"swarm": "echo", "input": 1}', headers=headers
    )
    assert response.status_code == 422
    body = response.json()
    sent = f"Content-Type {content_type}" if content_type else "no Content-Type"
    assert f"the body was sent with {sent}" in body["detail"]
    assert "must be application/json" in body["detail"]
    assert "Content-Type: application/json" in body["fix"]


@pytest.mark.parametrize("server_overrides", [{"max_body_bytes": 1 << 20}])
@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"swarm": "echo", "input": ' + b"1" * 4301 + b"}", "4300 digits"),
        (b'{"swarm": "echo", "input": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nests too deeply"),
    ],
    ids=["long-integer", "deep-nesting"],
)
async def test_json_the_parser_refuses_is_422_saying_why(node: Node, raw: bytes, says: str) -> None:
    response = await node.http.post(
        "/api/v1/tasks", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"]
    assert response.json()["fix"]
