"""A worker SIGKILLed in the middle of a hierarchical swarm: another worker takes the task over
once its lease expires and resumes at the last finished step (the plan and the order are not
run again; the director's review is). On SQLite and on PostgreSQL."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import pg_query
from tests.process.conftest import Procs, wait_for_log, wait_ready
from tests.support.keys import TEST_KEY
from tests.support.net import free_port

pytestmark = pytest.mark.process
KEY = "ssk_process_resume_key"
SPEC = """
name: board
agents:
  chair: {kind: python, entrypoint: "tests.support.agents:crash_director"}
  analyst: {kind: python, entrypoint: "tests.support.agents:counted_upper"}
flow: {type: hierarchical, director: chair, workers: [analyst], loops: 1}
runtime: {lease: 2s, retry_attempts: 2, retry_delay: 0s, resume_steps: true}
"""


FINISHED = "SELECT count(*) FROM task_events WHERE type = 'step_finished'"


def finished_steps(url: str) -> int:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///")) as conn:
            return int(conn.execute(FINISHED).fetchone()[0])
    return int(str(pg_query(url, FINISHED)[0][0]))


def test_a_crashed_hierarchical_swarm_resumes_at_the_last_finished_step(
    procs: Procs, tmp_path: Path, own_store_url: str
) -> None:
    spec, db, marker = tmp_path / "board.yaml", own_store_url, tmp_path / "calls"
    spec.write_text(SPEC)
    port = free_port()
    env = {
        "SWARMSTACK_STORE__URL": db,
        "SWARMSTACK_SECURITY__ADMIN_KEY": KEY,
        "SWARMSTACK_WORKER__SWEEP_INTERVAL": "0.5",
        "SWARM_ENCRYPTION_KEY": TEST_KEY,
        "RESUME_TEST_MARKER": str(marker),
    }
    procs.start("serve", str(spec), "--port", str(port), env={**env, "SWARM_MODE": "manager"})
    victim = procs.start(
        "serve",
        str(spec),
        "--no-http",
        env={**env, "SWARM_MODE": "worker", "RESUME_TEST_HANG_REVIEW": "1"},
        name="victim",
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    wait_for_log(tmp_path, "claiming now")
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        task_id = http.post("/api/v1/tasks", json={"swarm": "board", "input": "Launch?"}).json()[
            "id"
        ]
        deadline = time.monotonic() + 30
        while finished_steps(db) < 2 and time.monotonic() < deadline:  # plan and order stored
            time.sleep(0.05)
        assert finished_steps(db) == 2, procs.logs()[-3000:]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        procs.start(
            "serve", str(spec), "--no-http", env={**env, "SWARM_MODE": "worker"}, name="heir"
        )
        task = http.get(f"/api/v1/tasks/{task_id}", params={"wait": 30}).json()
        while task["status"] not in ("succeeded", "failed") and time.monotonic() < deadline + 30:
            time.sleep(0.1)
            task = http.get(f"/api/v1/tasks/{task_id}").json()
    assert task["status"] == "succeeded", procs.logs()[-3000:]
    assert task["attempts"] == 2
    assert [s["step"] for s in task["trace"] if s.get("restored")] == [
        "loop1:plan",
        "loop1:order0:analyst",
    ]
    assert [s["step"] for s in task["trace"] if not s.get("restored")] == ["loop1:feedback"]
    assert marker.read_text().count("call") == 1  # the analyst ran once, in the killed worker
