"""`/ready` answers 503 naming the swarm whose sync pool is held by abandoned calls."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from swarmstack.agents import SwarmRuntime
from swarmstack.agents.runtime import saturated
from swarmstack.metrics import Metrics
from swarmstack.server import Manager, create_app
from swarmstack.settings import Settings
from swarmstack.signals import LocalSignals
from swarmstack.store import open_store
from swarmstack.worker import Worker
from swarmstack.worker.http import create_worker_app
from tests.conftest import SpecFactory
from tests.support import agents as support

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
    settings = Settings(data_dir=tmp_path)
    store = await open_store(settings.store_url())
    await store.keys.add(ADMIN_KEY, "admin", "admin", time.time())
    metrics, signals = Metrics(), LocalSignals()
    runtimes = {spec.name: SwarmRuntime(spec, metrics=metrics)}
    worker = Worker(store, runtimes, signals, settings.worker, metrics)
    manager = Manager(
        store,
        {spec.name: spec},
        settings,
        signals,
        metrics,
        local_worker_beat=lambda: worker.last_beat,
        local_saturation=lambda: saturated(runtimes.values()),
    )
    await manager.start()
    await worker.start()
    transport = httpx.ASGITransport(app=create_app(manager, manage_lifecycle=False))
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
    await worker.stop(drain_timeout_s=1)
    await manager.stop()
    await runtimes["stuck"].aclose()
    await store.close()
