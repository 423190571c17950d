"""A real manager and worker (build_node) on SQLite or PostgreSQL, with fast leader ticks, for
deployments and rollouts driven through the HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from swarmstack.metrics import Metrics
from swarmstack.node import Node, build_node
from swarmstack.settings import Settings
from swarmstack.spec import SwarmSpec
from tests.conftest import SpecFactory, empty_tables
from tests.support.keys import TEST_KEY

KEY = "ssk_deploy_tests_key"
FAST = "{retry_attempts: 0, retry_delay: 0s, lease: 5s}"


@dataclass
class Cluster:
    """What a test drives."""

    http: httpx.AsyncClient
    node: Node
    settings: Settings

    async def deploy(self, spec: SwarmSpec, **extra: Any) -> httpx.Response:
        body = {"spec": spec.model_dump(mode="json"), **extra}
        return await self.http.post("/api/v1/deployments", json=body)

    async def rollout(self, swarm: str = "s") -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/swarms/{swarm}/rollout")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def submit(self, data: Any, **extra: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/api/v1/tasks", params={"wait": 10}, json={"swarm": "s", "input": data, **extra}
        )
        assert response.status_code in (200, 202), response.text
        body: dict[str, Any] = response.json()
        return body

    async def until(
        self, check: Callable[[dict[str, Any]], bool], swarm: str = "s", tries: int = 400
    ) -> dict[str, Any]:
        """The rollout once `check` holds (polls; fails after `tries` x 25 ms)."""
        for _ in range(tries):
            state = await self.rollout(swarm)
            if check(state):
                return state
            await asyncio.sleep(0.025)
        raise AssertionError(f"rollout never reached the expected state: {state}")


def canary_spec(make_spec: SpecFactory, agent: str, release: str, rollout: str) -> SwarmSpec:
    """Swarm `s` with one agent, a release label and a `rollout:` block."""
    return make_spec("s", agent, runtime=FAST, extra=f"release: '{release}'\nrollout: {rollout}\n")


@pytest.fixture
async def cluster(store_url: str, tmp_path: Path, make_spec: SpecFactory) -> AsyncIterator[Cluster]:
    url = store_url
    settings = Settings(
        data_dir=tmp_path,
        store={"url": url},  # type: ignore[arg-type]
        security={"admin_key": KEY, "encryption_key": TEST_KEY},  # type: ignore[arg-type]
        worker={  # type: ignore[arg-type]
            "sweep_interval": 0.05,
            "poll_interval": 0.05,
            "version_refresh": 0.1,
        },
    )
    first = canary_spec(make_spec, "tests.support.agents:echo", "1.0.0", "{strategy: canary}")
    node = await _node(settings, [first], url)
    await node.start_manager()
    await node.start_worker()
    transport = httpx.ASGITransport(app=node.app(manage_lifecycle=False))
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://m", headers=headers) as http:
        yield Cluster(http, node, settings)
    await node.stop(drain_timeout_s=1)


async def _node(settings: Settings, specs: list[SwarmSpec], url: str) -> Node:
    if not url.startswith("sqlite"):
        node = await build_node(specs, settings, metrics=Metrics(), manager=False, worker=False)
        await empty_tables(node.store.db)
        await node.stop()
    return await build_node(specs, settings, metrics=Metrics())


Poll = Callable[[], Awaitable[bool]]
