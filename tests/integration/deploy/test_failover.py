"""A leader killed mid-rollout is followed by the next one: no step skipped or repeated."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import text

from swarmstack.metrics import Metrics
from swarmstack.node import build_node
from swarmstack.settings import Settings
from swarmstack.store.tables import metadata
from tests.conftest import SpecFactory
from tests.integration.deploy.conftest import KEY, canary_spec
from tests.support.keys import TEST_KEY

STEPS = (
    "{strategy: canary, steps: [{weight: 10, pause: 400ms}, {weight: 50, pause: 400ms},"
    " {weight: 80, pause: 400ms}], analysis: {interval: 1h}}"
)


async def test_the_next_leader_finishes_the_rollout_without_skipping_a_step(
    store_url: str, tmp_path: Path, make_spec: SpecFactory
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        store={"url": store_url},  # type: ignore[arg-type]
        security={"admin_key": KEY, "encryption_key": TEST_KEY},  # type: ignore[arg-type]
        worker={"sweep_interval": 0.05},  # type: ignore[arg-type]
    )
    v1 = canary_spec(make_spec, "tests.support.agents:echo", "1.0.0", STEPS)
    first = await build_node([v1], settings, metrics=Metrics(), worker=False)
    if not first.store.db.is_sqlite:
        async with first.store.db.write() as conn:
            names = ", ".join(t.name for t in metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
        await first.stop()
        first = await build_node([v1], settings, metrics=Metrics(), worker=False)
    await first.start_manager()
    for _ in range(100):  # the first manager leads before the second starts
        if first.manager is not None and first.manager.leader.is_leader:
            break
        await asyncio.sleep(0.02)
    second = await build_node([v1], settings, metrics=Metrics(), worker=False, manager_id="m2")
    await second.start_manager()
    transport = httpx.ASGITransport(app=first.app(manage_lifecycle=False))
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://a", headers=headers) as a:
        v2 = canary_spec(make_spec, "tests.support.agents:upper", "2.0.0", STEPS)
        deployed = await a.post("/api/v1/deployments", json={"spec": v2.model_dump(mode="json")})
        assert deployed.status_code == 201, deployed.text
        for _ in range(200):  # wait for the second step, then kill the leader
            state = (await a.get("/api/v1/swarms/s/rollout")).json()
            if state["weight"] == 50:
                break
            await asyncio.sleep(0.02)
        assert state["weight"] == 50
    await first.stop()
    assert second.manager is not None
    for _ in range(400):
        current = await second.store.deployments.state("s")
        assert current is not None
        if current[0].phase.value == "healthy":
            break
        await asyncio.sleep(0.025)
    assert (current[0].stable, current[0].candidate) == ("2.0.0", None)
    assert second.manager.leader.is_leader
    history = await second.store.deployments.history("s", 100)
    steps = [h.message for h in reversed(history) if h.message.startswith("step ")]
    assert len(steps) == len(set(steps))  # none repeated
    assert [s.split(":")[0] for s in steps] == ["step 1/3", "step 2/3", "step 3/3"]  # none skipped
    await second.stop()
