"""POST /api/v1/tasks/batch through the real app: each task answered as a single submit would
be, in order; a body off the schema refused whole; idempotency per task; the queue cap counts
every task of a batch (tests/integration/server/test_queue_caps.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.integration.server.conftest import Node

BATCH = "/api/v1/tasks/batch"


@pytest.fixture
def server_overrides() -> dict[str, object]:
    return {"max_body_bytes": 1_048_576, "submit_batch_size": 64}


async def finished(node: Node, task_id: str) -> dict[str, Any]:
    for _ in range(500):
        got: dict[str, Any] = (await node.http.get(f"/api/v1/tasks/{task_id}")).json()
        if got["status"] in ("succeeded", "failed"):
            return got
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {task_id} did not finish: {got}")


async def test_a_thousand_tasks_are_stored_in_order_and_each_runs(node: Node) -> None:
    tasks = [{"swarm": "echo", "input": {"n": n}} for n in range(1000)]
    response = await node.http.post(BATCH, json={"tasks": tasks})
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["refused"]) == (1000, 0)
    assert [item["index"] for item in body["tasks"]] == list(range(1000))
    assert {item["status"] for item in body["tasks"]} == {202}
    assert [item["task"]["input"] for item in body["tasks"]] == [{"n": n} for n in range(1000)]
    ids = [item["task"]["id"] for item in body["tasks"]]
    assert len(set(ids)) == 1000
    for n in (0, 499, 999):
        got = await finished(node, ids[n])
        assert (got["status"], got["result"]) == ("succeeded", {"n": n})


async def test_each_task_gets_the_answer_a_single_submit_would(node: Node) -> None:
    single = await node.http.post("/api/v1/tasks", json={"swarm": "nosuch", "input": 1})
    tasks = [
        {"swarm": "echo", "input": "ok", "priority": "high"},
        {"swarm": "nosuch", "input": 1},
        {"swarm": "echo", "input": "keyed", "idempotency_key": "k1"},
        {"swarm": "echo", "input": "keyed", "idempotency_key": "k1"},  # the same task again
        {"swarm": "echo", "input": "other", "idempotency_key": "k1"},  # the key, another body
        {"swarm": "echo", "input": "pinned", "version": "9.9.9"},
    ]
    body = (await node.http.post(BATCH, json={"tasks": tasks})).json()
    items = body["tasks"]
    assert [i["status"] for i in items] == [202, 404, 202, 202, 409, 404]
    assert (body["accepted"], body["refused"]) == (3, 3)
    assert items[0]["task"]["priority"] == "high" and items[0]["problem"] is None
    assert items[1]["problem"]["detail"] == single.json()["detail"]
    assert items[1]["problem"]["status"] == 404 and "fix" in items[1]["problem"]
    assert items[2]["task"]["id"] == items[3]["task"]["id"]
    assert "idempotency" in items[4]["problem"]["detail"].lower()
    assert "9.9.9" in items[5]["problem"]["detail"]
    done = await finished(node, items[2]["task"]["id"])  # later: 200 with the finished task
    again = (await node.http.post(BATCH, json={"tasks": [tasks[2]]})).json()["tasks"][0]
    assert (again["status"], again["task"]["id"], again["task"]["result"]) == (
        200,
        done["id"],
        "keyed",
    )


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"tasks": []}, "body.tasks"),
        ({"tasks": [{"input": 1}] * 1001}, "body.tasks"),
        ({"tasks": [{"input": 1}, {"input": 2, "priority": "urgent"}]}, "body.tasks.1.priority"),
        ({"tasks": [{"input": 1, "color": "red"}]}, "body.tasks.0.color"),
        ({"tasks": [{"input": 1, "idempotency_key": ""}]}, "body.tasks.0.idempotency_key"),
        ({"task": [{"input": 1}]}, "body.tasks"),
    ],
)
async def test_a_body_off_the_schema_is_refused_whole_saying_where(
    node: Node, body: dict[str, Any], where: str
) -> None:
    before = (await node.http.get("/api/v1/tasks", params={"limit": 500})).json()
    response = await node.http.post(BATCH, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert where in [e["where"] for e in response.json()["errors"]]
    after = (await node.http.get("/api/v1/tasks", params={"limit": 500})).json()
    assert len(after["items"]) == len(before["items"])  # nothing of it was stored


async def test_an_idempotency_key_header_on_a_batch_is_refused(node: Node) -> None:
    body = {"tasks": [{"swarm": "echo", "input": 1}]}
    refused = await node.http.post(BATCH, json=body, headers={"Idempotency-Key": "k1"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "idempotency_key" in refused.json()["detail"]
    listed = (await node.http.get("/api/v1/tasks")).json()
    assert listed["items"] == []  # nothing stored
