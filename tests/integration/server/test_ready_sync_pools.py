"""`/ready` answers 503 naming the swarm whose sync pool is held by abandoned calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from swarmstack.metrics import Metrics
from swarmstack.node import build_node
from swarmstack.settings import Settings
from swarmstack.worker.http import create_worker_app
from tests.conftest import SpecFactory
from tests.support import agents as support
from tests.support.keys import TEST_KEY

ADMIN_KEY = "ssk_test_admin_key"


@pytest.fixture(autouse=True)
def _release() -> Iterator[None]:
    support.STUCK_RELEASE.clear()
    yield
    support.STUCK_RELEASE.set()


async def test_ready_reports_a_swarm_saturated_by_abandoned_calls(
    tmp_path: Path, make_spec: SpecFactory
) -> None:
    spec = make_spec(
        "stuck",
        "tests.support.agents:stuck",
        runtime="{retry_attempts: 0, timeout: 100ms, sync_pool_size: 1}",
    )
    settings = Settings(
        data_dir=tmp_path,
        security={"admin_key": ADMIN_KEY, "encryption_key": TEST_KEY},  # type: ignore[arg-type]
    )
    node = await build_node([spec], settings, metrics=Metrics())
    assert node.worker is not None
    worker = node.worker
    await node.start_manager()
    await node.start_worker()
    transport = httpx.ASGITransport(app=node.app(manage_lifecycle=False))
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=headers) as http:
        done = await http.post("/api/v1/tasks", params={"wait": 10}, json={"input": "x"})
        assert done.json()["status"] == "timed_out"
        ready = await http.get("/ready")
    assert ready.status_code == 503
    assert "all 1 sync threads of swarm 'stuck'" in ready.json()["checks"]["sync_pools"]
    own = httpx.ASGITransport(app=create_worker_app(worker))  # a worker in its own process
    async with httpx.AsyncClient(transport=own, base_url="http://w") as http:
        worker_ready = await http.get("/ready")
    assert worker_ready.status_code == 503
    assert "swarm 'stuck'" in worker_ready.json()["sync_pools"]
    support.STUCK_RELEASE.set()
    await node.stop(drain_timeout_s=1)
