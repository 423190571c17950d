"""Redis restarted under load: no task lost, no `?wait=` left hanging, the link comes back."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import pg_query, spec_text
from tests.process.conftest import Procs, wait_for_log, wait_ready
from tests.support.keys import TEST_KEY
from tests.support.net import free_port
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.process
KEY = "ssk_redis_restart_key"
HEADERS = {"Authorization": f"Bearer {KEY}"}


async def waiting_client(base: str, stop: asyncio.Event, answers: list[tuple[int, str]]) -> None:
    async with httpx.AsyncClient(base_url=base, headers=HEADERS, timeout=30) as http:
        while not stop.is_set():
            started = time.monotonic()
            response = await http.post(
                "/api/v1/tasks",
                params={"wait": 15},
                json={"swarm": "napper", "input": {"s": 0.01}},
            )
            status = response.json().get("status", "") if response.status_code < 500 else ""
            answers.append((response.status_code, status))
            assert time.monotonic() - started < 15, "a waiter hung for its whole wait"


def test_redis_restart_under_load(
    procs: Procs, tmp_path: Path, fresh_pg_url: str, redis_server: RedisServer
) -> None:
    spec = tmp_path / "napper.yaml"
    spec.write_text(spec_text("napper", "tests.support.agents:nap", "{max_concurrent: 20}"))
    env = {
        "SWARMSTACK_STORE__URL": fresh_pg_url,
        "REDIS_URL": redis_server.url,
        "SWARMSTACK_SECURITY__ADMIN_KEY": KEY,
        "SWARM_ENCRYPTION_KEY": TEST_KEY,
    }
    ports = [free_port(), free_port()]
    for port in ports:
        procs.start("serve", str(spec), "--port", str(port), env={**env, "SWARM_MODE": "manager"})
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    for base in bases:
        wait_ready(base, path="/health")
    procs.start("serve", str(spec), "--no-http", env={**env, "SWARM_MODE": "worker"})
    wait_for_log(tmp_path, "claiming now")  # a slow start must not miss the outage
    answers: list[tuple[int, str]] = []

    async def scenario() -> None:
        stop = asyncio.Event()
        clients = [asyncio.create_task(waiting_client(base, stop, answers)) for base in bases * 4]
        await asyncio.sleep(1.5)
        redis_server.stop()
        await asyncio.sleep(2.0)
        redis_server.start()
        await asyncio.sleep(3.0)
        stop.set()
        await asyncio.gather(*clients)

    asyncio.run(scenario())
    assert len(answers) > 20
    assert {code for code, _ in answers} == {200}, answers
    assert {status for _, status in answers} == {"succeeded"}
    rows = pg_query(fresh_pg_url, "SELECT status, count(*) FROM tasks GROUP BY status")
    assert {str(s): int(str(n)) for s, n in rows} == {"succeeded": len(answers)}
    deadline = time.monotonic() + 30  # every node (2 managers, 1 worker) links up again
    while not all_relinked(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all_relinked(tmp_path), procs.logs()[-3000:]


def all_relinked(folder: Path) -> bool:
    """Every node logged losing its Redis link and, after that, linking up again."""
    logs = [p.read_text() for p in sorted(folder.glob("*.log"))]
    return len(logs) == 3 and all(
        "signals link down" in log
        and log.rfind("signals connected over") > log.rfind("signals link down")
        for log in logs
    )
