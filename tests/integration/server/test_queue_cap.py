"""The cap on a principal's queued tasks, through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import update

from swarmstack.metrics import Metrics
from swarmstack.node import Node, build_node
from swarmstack.settings import Settings
from swarmstack.signals import LocalSignals
from swarmstack.store import Store
from swarmstack.store.tables import api_keys
from tests.conftest import SpecFactory

ADMIN = "ssk_queue_cap_admin"


@dataclass
class Api:
    node: Node
    app: object

    def client(self, key: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)  # type: ignore[arg-type]
        auth = {"Authorization": f"Bearer {key}"}
        return httpx.AsyncClient(transport=transport, base_url="http://swarm", headers=auth)

    async def key(self, name: str, role: str, max_queued: int | None = None) -> str:
        key = f"ssk_{name}_key"
        who = await self.node.store.keys.add(key, name, role, time.time())
        if max_queued is not None:
            async with self.node.store.db.write() as conn:
                query = update(api_keys).where(api_keys.c.id == who.id)
                await conn.execute(query.values(max_queued=max_queued))
        return key


@pytest.fixture
async def api(store: Store, make_spec: SpecFactory) -> AsyncIterator[Api]:
    """A manager without workers (tasks stay queued); submitters may queue 3 tasks."""
    settings = Settings(
        security={"admin_key": ADMIN},
        rate_limits={"submitter_max_queued": 3},
    )
    node = await build_node(
        [make_spec("echo")],
        settings,
        worker=False,
        metrics=Metrics(),
        store=store,
        signals=LocalSignals(),
    )
    await node.start_manager()
    yield Api(node, node.app(manage_lifecycle=False))
    await node.stop()


async def test_a_principal_at_its_cap_gets_429_until_one_of_its_tasks_leaves_the_queue(
    api: Api,
) -> None:
    alice, bob = await api.key("alice", "submitter"), await api.key("bob", "submitter")
    async with api.client(alice) as http, api.client(bob) as other:
        answers = [await http.post("/api/v1/tasks", json={"input": i}) for i in range(3)]
        refused = await http.post("/api/v1/tasks", json={"input": 3})
        legacy = await http.post("/api/v1/task", json={"task": "x"})
        assert (await other.post("/api/v1/tasks", json={"input": 0})).status_code == 202
        cancel = await http.post(f"/api/v1/tasks/{answers[0].json()['id']}/cancel")
        again = await http.post("/api/v1/tasks", json={"input": 4})
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert [a.headers["RateLimit"].split(", ")[1] for a in answers] == [
        '"queued";r=3',
        '"queued";r=2',
        '"queued";r=1',
    ]
    assert answers[0].headers["RateLimit-Policy"].endswith(', "queued";q=3')
    assert (refused.status_code, legacy.status_code) == (429, 429)
    assert refused.headers["Retry-After"] == "2"
    problem = refused.json()
    assert problem["limit"] == "queued" and problem["max_queued"] == 3
    assert "key:alice" in problem["detail"] and "has 3 queued tasks" in problem["detail"]
    assert "max_queued" in problem["fix"]
    assert cancel.status_code == 200 and again.status_code == 202
    assert api.node.metrics.ratelimit_rejected.labels("queued")._value.get() == 2


async def test_a_key_may_raise_its_cap_and_zero_means_none(api: Api) -> None:
    roomy = await api.key("roomy", "submitter", max_queued=5)
    unlimited = await api.key("unlimited", "submitter", max_queued=0)
    async with api.client(roomy) as http, api.client(unlimited) as free:
        roomy_codes = [
            (await http.post("/api/v1/tasks", json={"input": i})).status_code for i in range(6)
        ]
        free_answers = [await free.post("/api/v1/tasks", json={"input": i}) for i in range(8)]
    assert roomy_codes == [202] * 5 + [429]
    assert {a.status_code for a in free_answers} == {202}
    assert "queued" not in free_answers[0].headers["RateLimit-Policy"]


async def test_admins_have_no_cap_by_default_and_tasks_record_their_owner(api: Api) -> None:
    async with api.client(ADMIN) as http:
        answers = [await http.post("/api/v1/tasks", json={"input": i}) for i in range(5)]
    assert {a.status_code for a in answers} == {202}
    admin = await api.node.store.keys.lookup(ADMIN)
    assert admin is not None
    assert await api.node.store.tasks.count_queued(admin.id) == 5
    assert await api.node.store.tasks.count_queued(admin.id, at_most=2) == 2
    assert await api.node.store.tasks.count_queued("k_nobody") == 0
