"""The task API end to end: HTTP -> store -> worker -> outcome, through the real ASGI app."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from swarmstack.client.http import _problem
from tests.integration.server.conftest import Node

PROBLEM = "application/problem+json"


async def submit(
    node: Node, swarm: str, data: Any, wait: float = 10, **extra: Any
) -> httpx.Response:
    return await node.http.post(
        "/api/v1/tasks", params={"wait": wait}, json={"swarm": swarm, "input": data, **extra}
    )


async def test_submit_and_wait_returns_the_result(node: Node) -> None:
    response = await submit(node, "pipeline", "hello")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["result"] == "HELLO!"
    assert [s["agent"] for s in body["trace"]] == ["shout", "bang"]
    assert response.headers["location"] == f"/api/v1/tasks/{body['id']}"


async def test_submit_without_wait_is_202_then_completes(node: Node) -> None:
    response = await node.http.post("/api/v1/tasks", json={"swarm": "echo", "input": 7})
    assert response.status_code == 202
    task_id = response.json()["id"]
    for _ in range(200):
        got = (await node.http.get(f"/api/v1/tasks/{task_id}")).json()
        if got["status"] == "succeeded":
            break
        await asyncio.sleep(0.02)
    assert got["result"] == 7


async def test_seed_request_shape_goes_to_the_default_swarm(node: Node) -> None:
    response = await node.http.post(
        "/api/v1/task", params={"wait": 10}, json={"task": "test_task", "priority": "high"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["swarm"], body["priority"], body["result"]) == ("echo", "high", "test_task")


async def test_missing_or_wrong_key_is_401_problem(node: Node) -> None:
    bare = await node.http.post("/api/v1/tasks", json={"input": 1}, headers={"Authorization": ""})
    wrong = await node.http.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"})
    for response in (bare, wrong):
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["fix"]


async def test_idempotency_key_dedupes_and_conflicts(node: Node) -> None:
    headers = {"Idempotency-Key": "order-42"}
    first = await node.http.post(
        "/api/v1/tasks", json={"swarm": "echo", "input": 1}, headers=headers
    )
    again = await node.http.post(
        "/api/v1/tasks", json={"swarm": "echo", "input": 1}, headers=headers
    )
    other = await node.http.post(
        "/api/v1/tasks", json={"swarm": "echo", "input": 2}, headers=headers
    )
    assert first.json()["id"] == again.json()["id"]
    assert other.status_code == 409
    assert other.json()["task_id"] == first.json()["id"]


async def test_bad_requests_are_4xx_problems_that_help(node: Node) -> None:
    cases = {
        "bad priority": (await submit(node, "echo", 1, priority="urgent"), 422, "priority"),
        "unknown swarm": (await submit(node, "nope", 1), 404, "use one of"),
        "unknown field": (await node.http.post("/api/v1/tasks", json={"inputs": 1}), 422, "inputs"),
        "not json": (
            await node.http.post(
                "/api/v1/tasks", content=b"{oops", headers={"content-type": "application/json"}
            ),
            422,
            "JSON",
        ),
        "too large": (
            await node.http.post("/api/v1/tasks", content=b"x" * 5000),
            413,
            "larger than",
        ),
        "bad wait": (
            await node.http.post("/api/v1/tasks", params={"wait": -1}, json={"input": 1}),
            422,
            "wait",
        ),
        "bad status filter": (
            await node.http.get("/api/v1/tasks", params={"status": "x"}),
            422,
            "status",
        ),
        "unknown task": (await node.http.get("/api/v1/tasks/t_nope"), 404, "no task"),
    }
    for name, (response, status, hint) in cases.items():
        assert response.status_code == status, name
        assert response.headers["content-type"] == PROBLEM, name
        assert hint in json.dumps(response.json()), name


async def test_retries_then_success_keeps_attempt_errors(node: Node, tmp_path: Path) -> None:
    data = {"marker": str(tmp_path / "flaky"), "fail_times": 2}
    body = (await submit(node, "flaky", data)).json()
    assert body["status"] == "succeeded", json.dumps(body)
    assert body["attempts"] == 3
    assert [a["error"] for a in body["attempt_errors"]] == [
        "step 'main' (agent 'main') raised RuntimeError: flaky failure 1",
        "step 'main' (agent 'main') raised RuntimeError: flaky failure 2",
    ]


async def test_dead_letter_after_retries(node: Node) -> None:
    body = (await submit(node, "broken", 1)).json()
    assert body["status"] == "failed"
    assert body["attempts"] == 2
    assert len(body["attempt_errors"]) == 2
    assert "always fails" in body["error"]
    listed = (await node.http.get("/api/v1/tasks", params={"status": "failed"})).json()
    assert [t["id"] for t in listed["items"]] == [body["id"]]


async def test_timeout_is_timed_out(node: Node) -> None:
    body = (await submit(node, "slow", {"s": 5})).json()
    assert body["status"] == "timed_out"
    assert "timed out after 0.2s" in body["error"]


async def test_cancel_running_task_stops_it(node: Node) -> None:
    task = (await submit(node, "nap", {"s": 30}, wait=0)).json()
    for _ in range(200):
        if task["id"] in node.worker.running:
            break
        await asyncio.sleep(0.01)
    cancelled = await node.http.post(f"/api/v1/tasks/{task['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    for _ in range(200):
        if task["id"] not in node.worker.running:
            break
        await asyncio.sleep(0.01)
    assert task["id"] not in node.worker.running
    again = await node.http.post(f"/api/v1/tasks/{task['id']}/cancel")
    assert again.status_code == 409


async def test_blocking_agents_do_not_stall_the_worker_loop(node: Node) -> None:
    blocking = (await submit(node, "blocking", {"s": 2}, wait=0)).json()
    quick = (await submit(node, "echo", "fast", wait=10)).json()
    assert quick["status"] == "succeeded"
    still = (await node.http.get(f"/api/v1/tasks/{blocking['id']}")).json()
    assert still["status"] in ("queued", "running")


async def test_events_stream_and_resume(node: Node) -> None:
    task = (await submit(node, "pipeline", "hi")).json()
    url = f"/api/v1/tasks/{task['id']}/events"
    frames = await read_sse(node, url)
    kinds = [f["event"] for f in frames]
    assert kinds == [
        "started",
        "step_started",
        "step_finished",
        "step_started",
        "step_finished",
        "succeeded",
    ]
    assert json.loads(frames[-1]["data"])["result"] == "HI!"
    resumed = await read_sse(node, url, last_event_id=frames[2]["id"])
    assert [f["event"] for f in resumed] == kinds[3:]


async def read_sse(node: Node, url: str, last_event_id: str | None = None) -> list[dict[str, str]]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    frames: list[dict[str, str]] = []
    async with node.http.stream("GET", url, headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, str] = {}
        async for line in response.aiter_lines():
            if not line:
                if "event" in current:
                    frames.append(current)
                current = {}
                continue
            field, _, value = line.partition(": ")
            current[field] = value
    return frames


async def test_operations_endpoints(node: Node) -> None:
    version = (await submit(node, "echo", 1)).json()["version"]
    assert version  # every task records the version it ran on
    metrics = (await node.http.get("/metrics", headers={"Authorization": ""})).text
    assert (
        f'swarmstack_tasks_finished_total{{status="succeeded",swarm="echo",version="{version}"}}'
        in metrics
    )
    assert "swarmstack_http_requests_total" in metrics
    assert (await node.http.get("/health", headers={"Authorization": ""})).json()["status"] == "ok"
    ready = await node.http.get("/ready", headers={"Authorization": ""})
    assert ready.status_code == 200, ready.text
    paths = (await node.http.get("/openapi.json")).json()["paths"]
    assert {"/api/v1/tasks", "/api/v1/task", "/api/v1/tasks/{task_id}/events"} <= set(paths)


async def test_openapi_documents_the_problem_answers(node: Node) -> None:
    doc = (await node.http.get("/openapi.json")).json()
    get_task = doc["paths"]["/api/v1/tasks/{task_id}"]["get"]["responses"]
    assert list(get_task["404"]["content"]) == ["application/problem+json"]
    submit = doc["paths"]["/api/v1/tasks"]["post"]["responses"]
    assert {"202", "401", "409", "413", "422", "503"} <= set(submit)
    assert list(submit["422"]["content"]) == ["application/problem+json"]
    missing = await node.http.get("/api/v1/tasks/t_doesnotexist")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    metrics = doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert "text/plain" in metrics


async def test_ready_fails_when_the_worker_stops_heartbeating(node: Node, monkeypatch: Any) -> None:
    from swarmstack.server import health

    monkeypatch.setattr(health, "READY_CACHE_S", 0.0)
    monkeypatch.setattr(health, "WORKER_STALE_S", 0.3)
    await node.worker.stop(drain_timeout_s=0)
    await asyncio.sleep(0.4)
    response = await node.http.get("/ready")
    assert response.status_code == 503
    assert "silent" in response.json()["checks"]["worker"]


async def test_session_history_reaches_the_next_task(node: Node) -> None:
    first = (await submit(node, "memory", "my name is Ada", session="s1")).json()
    second = (await submit(node, "memory", "what is my name?", session="s1")).json()
    third = (await submit(node, "memory", "hello", session="s2")).json()
    assert first["result"]["history"] == []
    assert second["result"]["history"][:1] == ["my name is Ada"]
    assert len(second["result"]["history"]) == 2
    assert third["result"]["history"] == []


async def test_resuming_after_the_final_event_is_204(node: Node) -> None:
    """An EventSource reconnects with the last id it saw; 204 is what stops it reconnecting."""
    task = (await submit(node, "pipeline", "hi")).json()
    url = f"/api/v1/tasks/{task['id']}/events"
    frames = await read_sse(node, url)
    assert frames[-1]["event"] == "succeeded"
    for last_id in (frames[-1]["id"], str(int(frames[-1]["id"]) + 1000)):
        response = await node.http.get(url, headers={"Last-Event-ID": last_id})
        assert response.status_code == 204
        assert response.content == b""


async def test_a_stream_past_the_last_event_ends_when_the_task_finishes(node: Node) -> None:
    """A Last-Event-ID beyond every event of a running task: the stream ends once it finishes."""
    task = (await submit(node, "nap", {"s": 1}, wait=0)).json()
    url = f"/api/v1/tasks/{task['id']}/events"
    async with (
        asyncio.timeout(30),
        node.http.stream("GET", url, headers={"Last-Event-ID": str(10**15)}) as response,
    ):
        assert response.status_code == 200  # the nap is still running
        lines = [line async for line in response.aiter_lines() if line.startswith("event")]
    assert lines == []
    final = (await node.http.get(f"/api/v1/tasks/{task['id']}")).json()
    assert final["status"] == "succeeded"


async def test_a_wrong_base_path_says_to_check_the_url(node: Node) -> None:
    """The manager's 404 for a path it does not serve (a base URL with a path in it)."""
    response = await node.http.get("/swarm/api/v1/tasks")
    error = _problem(response, "http://swarm/swarm")
    assert str(error).startswith("the manager at http://swarm/swarm has no /swarm/api/v1/tasks")
    assert error.fix is not None and "check SWARMSTACK_URL / --url" in error.fix
    missing = _problem(await node.http.get("/api/v1/tasks/t_nope"), "http://swarm")
    assert "SWARMSTACK_URL" not in str(missing)  # a missing task is not a wrong URL


async def test_get_with_wait_answers_once_the_task_finishes(node: Node) -> None:
    queued = await node.http.post("/api/v1/tasks", json={"swarm": "slow", "input": {"s": 0.1}})
    task_id = queued.json()["id"]
    got = await node.http.get(f"/api/v1/tasks/{task_id}", params={"wait": 10})
    assert got.status_code == 200
    assert (got.json()["status"], got.json()["result"]["slept"]) == ("succeeded", 0.1)
    again = await node.http.get(f"/api/v1/tasks/{task_id}", params={"wait": 10})
    assert again.json() == got.json()  # a finished task answers at once


async def test_get_with_wait_gives_the_task_as_it_is_when_wait_runs_out(node: Node) -> None:
    queued = await node.http.post("/api/v1/tasks", json={"swarm": "slow", "input": {"s": 0.15}})
    got = await node.http.get(f"/api/v1/tasks/{queued.json()['id']}", params={"wait": 0.01})
    assert got.status_code == 200
    assert got.json()["status"] in ("queued", "running")


async def test_get_with_a_bad_wait_is_a_422_problem(node: Node) -> None:
    for wait in ("-1", "soon", "3601"):
        got = await node.http.get("/api/v1/tasks/t_whatever", params={"wait": wait})
        assert got.status_code == 422, wait
        assert got.headers["content-type"] == PROBLEM
        assert "wait" in got.text
