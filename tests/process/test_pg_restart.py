"""PostgreSQL restarted under load: managers answer 503 with Retry-After (never 500) while it is
down, and every task accepted before or after completes without operator action."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import pg_query, spec_text
from tests.process.conftest import Procs, wait_ready
from tests.process.pg_cluster import PgCluster
from tests.support.keys import TEST_KEY
from tests.support.net import free_port

pytestmark = pytest.mark.process
KEY = "ssk_pg_restart_key"
HEADERS = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def pg() -> Iterator[PgCluster]:
    with tempfile.TemporaryDirectory(prefix="swarmstack-pg-") as folder:
        cluster = PgCluster(Path(folder))
        cluster.init()
        cluster.start()
        yield cluster
        with contextlib.suppress(Exception):
            cluster.stop()


class Load:
    """Submits at a steady pace and sorts every answer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.accepted: list[str] = []
        self.unavailable = 0
        self.retry_after: set[str] = set()
        self.other: list[str] = []

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self.base, headers=HEADERS, timeout=30) as http:
            while not stop.is_set():
                response = await http.post(
                    "/api/v1/tasks", json={"swarm": "napper", "input": {"s": 0.01}}
                )
                if response.status_code == 202:
                    self.accepted.append(response.json()["id"])
                elif response.status_code == 503:
                    self.unavailable += 1
                    self.retry_after.add(response.headers.get("retry-after", ""))
                else:
                    self.other.append(f"{response.status_code} {response.text[:200]}")
                await asyncio.sleep(0.02)


def test_postgresql_restart_under_load(procs: Procs, tmp_path: Path, pg: PgCluster) -> None:
    spec = tmp_path / "napper.yaml"
    spec.write_text(spec_text("napper", "tests.support.agents:nap", "{max_concurrent: 20}"))
    env = {
        "SWARMSTACK_STORE__URL": pg.url,
        "SWARMSTACK_SECURITY__ADMIN_KEY": KEY,
        "SWARMSTACK_WORKER__SWEEP_INTERVAL": "0.5",
        "SWARM_ENCRYPTION_KEY": TEST_KEY,
    }
    port = free_port()
    procs.start("serve", str(spec), "--port", str(port), env={**env, "SWARM_MODE": "manager"})
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, path="/health")
    procs.start("serve", str(spec), "--no-http", env={**env, "SWARM_MODE": "worker"})
    deadline = time.monotonic() + 30
    while not httpx.get(f"{base}/api/v1/cluster", headers=HEADERS).json()["workers"]:
        assert time.monotonic() < deadline, "the worker never registered"
        time.sleep(0.1)
    load = Load(base)

    async def scenario() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(load.run(stop))
        await asyncio.sleep(1.5)
        await asyncio.to_thread(pg.stop)
        await asyncio.sleep(2.0)
        await asyncio.to_thread(pg.start)
        await asyncio.sleep(3.0)
        stop.set()
        await running

    asyncio.run(scenario())
    assert load.other == [], load.other
    assert load.unavailable > 0, "submits while PostgreSQL was down got 503"
    assert load.retry_after and "" not in load.retry_after
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = pg_query(pg.url, "SELECT status, count(*) FROM tasks GROUP BY status")
        counts = {str(s): int(str(n)) for s, n in rows}
        if not {"queued", "running"} & set(counts):
            break
        time.sleep(0.3)
    assert counts == {"succeeded": len(load.accepted)}, procs.logs()[-3000:]
    stored = {str(r[0]) for r in pg_query(pg.url, "SELECT id FROM tasks")}
    assert set(load.accepted) == stored
