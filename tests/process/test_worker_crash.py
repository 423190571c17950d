"""A worker SIGKILLed under load loses nothing: every accepted task completes exactly once."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import spec_text
from tests.process.conftest import Procs, wait_for_log, wait_ready
from tests.support.keys import TEST_KEY
from tests.support.net import free_port

pytestmark = pytest.mark.process
KEY = "ssk_process_test_key"
TASKS = 300


async def submit_all(url: str) -> list[str]:
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        sem = asyncio.Semaphore(32)

        async def one(i: int) -> str:
            async with sem:
                response = await http.post(
                    "/api/v1/tasks", json={"swarm": "napper", "input": {"s": 0.05 + (i % 4) * 0.05}}
                )
                assert response.status_code == 202, response.text
                task_id: str = response.json()["id"]
                return task_id

        return await asyncio.gather(*(one(i) for i in range(TASKS)))


def count_finished(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM tasks WHERE status != 'queued' AND status != 'running'"
            ).fetchone()[0]
        )


def leases_held_by(db: Path, pid: int) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM tasks WHERE status = 'running' AND lease_owner LIKE ?",
                (f"%-{pid}-%",),
            ).fetchone()[0]
        )


def test_sigkill_worker_under_load(procs: Procs, tmp_path: Path) -> None:
    spec = tmp_path / "napper.yaml"
    spec.write_text(
        spec_text(
            "napper",
            "tests.support.agents:nap",
            "{max_concurrent: 20, lease: 2s, retry_attempts: 3}",
        )
    )
    db = tmp_path / "store.db"
    port = free_port()
    env = {
        "SWARMSTACK_STORE__URL": f"sqlite+aiosqlite:///{db}",
        "SWARMSTACK_SECURITY__ADMIN_KEY": KEY,
        "SWARMSTACK_WORKER__SWEEP_INTERVAL": "0.5",
        "SWARM_ENCRYPTION_KEY": TEST_KEY,
    }
    procs.start(
        "serve",
        str(spec),
        "--port",
        str(port),
        env={**env, "SWARM_MODE": "manager"},
        name="manager",
    )
    workers = [
        procs.start(
            "serve", str(spec), "--no-http", env={**env, "SWARM_MODE": "worker"}, name=f"worker{i}"
        )
        for i in range(2)
    ]
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    wait_for_log(tmp_path, "claiming now", count=2)  # a slow start would leave the victim idle
    ids = asyncio.run(submit_all(url))
    assert len(set(ids)) == TASKS
    deadline = time.monotonic() + 60
    while (
        count_finished(db) < TASKS // 4 or leases_held_by(db, workers[0].pid) == 0
    ) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leases_held_by(db, workers[0].pid) > 0, "the victim worker never claimed a task"
    workers[0].send_signal(signal.SIGKILL)
    while count_finished(db) < TASKS and time.monotonic() < deadline:
        time.sleep(0.2)
    with sqlite3.connect(db) as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM tasks GROUP BY status"))
        outcomes = conn.execute(
            "SELECT task_id, count(*) FROM task_events WHERE type IN "
            "('succeeded','failed','timed_out','cancelled','budget_exceeded') "
            "GROUP BY task_id"
        ).fetchall()
        rerun = conn.execute(
            "SELECT count(*) FROM task_attempts WHERE status = 'lease_expired'"
        ).fetchone()[0]
    assert statuses == {"succeeded": TASKS}, procs.logs()[-3000:]
    assert len(outcomes) == TASKS
    assert all(count == 1 for _, count in outcomes)
    assert rerun > 0, "the killed worker held leases that another worker re-ran"
