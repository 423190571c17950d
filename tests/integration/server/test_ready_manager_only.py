"""`/ready` of a manager without an in-process worker: ready when it can accept tasks.

Workers autoscaled to zero only come back once tasks queue up, so the manager must accept tasks
(and say so) while no worker is alive; it reports the live workers as information.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from swarmstack.metrics import Metrics
from swarmstack.node import build_node
from swarmstack.settings import Settings
from tests.conftest import SpecFactory
from tests.support.keys import TEST_KEY

ADMIN_KEY = "ssk_test_admin_key"


async def test_a_manager_with_no_live_worker_is_ready_and_accepts_tasks(
    tmp_path: Path, make_spec: SpecFactory
) -> None:
    security = {"admin_key": ADMIN_KEY, "encryption_key": TEST_KEY}
    settings = Settings(data_dir=tmp_path, security=security)  # type: ignore[arg-type]
    node = await build_node([make_spec("echo")], settings, worker=False, metrics=Metrics())
    await node.start_manager()
    transport = httpx.ASGITransport(app=node.app(manage_lifecycle=False))
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://m", headers=headers
        ) as http:
            ready = await http.get("/ready")
            queued = await http.post("/api/v1/tasks", json={"swarm": "echo", "input": 1})
    finally:
        await node.stop(drain_timeout_s=1)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"store": "ok", "workers": "0 live"}
    assert queued.status_code == 202
