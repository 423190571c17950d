"""The cap on a principal's queued tasks, through the real app and on its own, on SQLite and
PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import update

from swarmstack.core.ids import new_task_id
from swarmstack.core.records import NewTask
from swarmstack.metrics import Metrics
from swarmstack.node import Node, build_node
from swarmstack.server.queue_caps import QueueCaps
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


def queued_by(owner: str, count: int) -> list[NewTask]:
    now = time.time()
    return [
        NewTask(new_task_id(), "echo", {}, 5, 1, 30.0, owner, now, owner=owner)
        for _ in range(count)
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_far_from_its_cap_a_principal_is_counted_here_and_near_it_by_the_store(
    store: Store,
) -> None:
    clock = Clock()
    caps = QueueCaps(store.tasks.count_queued, refresh_s=1.0, clock=clock)
    assert await caps.admit("k_a", 100) == 0  # read from the store
    await store.tasks.submit_many(queued_by("k_a", 50))  # another manager's submits
    assert await caps.admit("k_a", 100) == 1  # within refresh_s: this manager's estimate
    clock.now += 1.0
    assert await caps.admit("k_a", 100) == 50  # read again: the store knows 50
    await store.tasks.submit_many(queued_by("k_a", 40))
    clock.now += 1.0
    assert await caps.admit("k_a", 100) == 90  # within a tenth of the cap ...
    await store.tasks.submit_many(queued_by("k_a", 10))
    assert await caps.admit("k_a", 100) == 100  # ... every check reads the store
    assert await caps.admit("k_a", 100) == 100  # refused submits are not counted
    assert await caps.admit("k_b", 100) == 0  # each principal apart


async def test_the_queue_cap_counts_every_task_of_a_batch(api: Api) -> None:
    alice = await api.key("alice", "submitter")  # submitters may queue 3 tasks here
    batch = "/api/v1/tasks/batch"
    async with api.client(alice) as http:
        too_many = await http.post(batch, json={"tasks": [{"input": n} for n in range(4)]})
        fits = await http.post(batch, json={"tasks": [{"input": n} for n in range(3)]})
        full = await http.post(batch, json={"tasks": [{"input": 9}]})
    assert too_many.status_code == 429
    assert "4 more would pass it" in too_many.json()["detail"]
    assert fits.status_code == 200 and fits.json()["accepted"] == 3
    assert full.status_code == 429
    async with api.client(alice) as http:
        mine = (await http.get("/api/v1/tasks")).json()["items"]
    assert sorted(t["id"] for t in mine) == sorted(i["task"]["id"] for i in fits.json()["tasks"])
