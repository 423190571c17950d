"""Resumable steps (`runtime.resume_steps`, worker/checkpoints.py): a hierarchical swarm whose
attempt fails after its plan and orders ran goes on from there in the next attempt, on SQLite and
on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from swarmstack.core.records import TaskRecord
from swarmstack.spec import SwarmSpec, parse_spec
from swarmstack.store import Store
from swarmstack.worker.checkpoints import load_checkpoints
from tests.integration.server.conftest import Node

SPEC = """
name: {name}
agents:
  chair: {{kind: python, entrypoint: "tests.support.agents:board_director"}}
  analyst: {{kind: python, entrypoint: "tests.support.agents:upper"}}
flow: {{type: hierarchical, director: chair, workers: [analyst], loops: 2}}
runtime: {{retry_attempts: 2, retry_delay: 0s, resume_steps: {resume}}}
"""


@pytest.fixture
def node_store(store_url: str) -> str:
    """Each test runs on SQLite and on PostgreSQL."""
    return store_url


@pytest.fixture
def swarms() -> list[SwarmSpec]:
    return [
        parse_spec(SPEC.format(name="board", resume="true"), "board.yaml", {}),
        parse_spec(SPEC.format(name="again", resume="false"), "again.yaml", {}),
    ]


async def finished(node: Node, task_id: str) -> dict[str, object]:
    for _ in range(200):
        body: dict[str, object] = (await node.http.get(f"/api/v1/tasks/{task_id}")).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish")


async def test_the_retry_restores_finished_steps_and_runs_the_rest(node: Node) -> None:
    submitted = await node.http.post("/api/v1/tasks", json={"swarm": "board", "input": "Launch?"})
    task = await finished(node, submitted.json()["id"])
    assert task["status"] == "succeeded" and task["attempts"] == 2
    trace = task["trace"]
    assert isinstance(trace, list)
    restored = [s["step"] for s in trace if s.get("restored")]
    assert restored == ["loop1:plan", "loop1:order0:analyst"]
    ran = [s["step"] for s in trace if not s.get("restored")]
    assert ran == ["loop1:feedback", "loop2:plan"]
    assert task["result"] == {
        "plan": "split",
        "results": {"analyst": "SIZE IT"},
        "feedback": "approved",
    }


async def test_without_resume_steps_the_retry_runs_everything_again(node: Node) -> None:
    submitted = await node.http.post("/api/v1/tasks", json={"swarm": "again", "input": "Launch?"})
    task = await finished(node, submitted.json()["id"])
    trace = task["trace"]
    assert isinstance(trace, list) and not any(s.get("restored") for s in trace)
    assert trace[0]["step"] == "loop1:plan"


async def test_a_first_attempt_loads_nothing(node: Node) -> None:
    store: Store = node.store
    spec = node.manager.spec("board")
    first = TaskRecord(
        id="t_x",
        swarm="board",
        status=None,
        priority=1,
        input=None,  # type: ignore[arg-type]
        attempts=1,
        max_attempts=3,
        timeout_s=1.0,
        created_at=0.0,
    )
    assert await load_checkpoints(store, first, spec) == {}
