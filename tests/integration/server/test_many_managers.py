"""Two managers and a worker on one PostgreSQL store, each with its own signal link, as on
three hosts: work, outcomes and cancellations cross between them; finished tasks are cached."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text

from swarmstack.metrics import Metrics
from swarmstack.node import build_node
from swarmstack.server.state import CACHED_ANSWER
from swarmstack.settings import Settings
from swarmstack.signals import PgSignals, RedisSignals, ResultCache
from swarmstack.signals.remote import RemoteSignals
from swarmstack.spec import SwarmSpec
from swarmstack.store import Store, open_store
from swarmstack.store.advisory import AdvisoryLock
from tests.conftest import SpecFactory
from tests.support.keys import keyring_of_tests
from tests.support.redis_server import REDIS_URL

KEY = "ssk_many_managers_key"


@dataclass
class Cluster:
    a: httpx.AsyncClient
    b: httpx.AsyncClient
    cache: ResultCache


def link(kind: str, pg_url: str, channel: str) -> RemoteSignals:
    signals: RemoteSignals = PgSignals(pg_url) if kind == "pg" else RedisSignals(REDIS_URL)
    signals.channel = channel
    return signals


@pytest.fixture(params=["pg", "redis"])
async def cluster(
    request: pytest.FixtureRequest, pg_url: str, make_spec: SpecFactory
) -> AsyncIterator[Cluster]:
    swarms = [make_spec("nap", "tests.support.agents:nap", runtime="{retry_attempts: 0}")]
    # Workers poll rarely here, so a task that runs at once was woken by the signal link.
    settings = Settings(worker={"poll_interval": 30})  # type: ignore[arg-type]
    channel = f"swarmstack_test_{secrets.token_hex(4)}"
    async with AsyncExitStack() as stack:
        store = await open_store(pg_url, keyring=keyring_of_tests())
        stack.push_async_callback(store.close)
        async with store.db.write() as conn:
            await conn.execute(text("DELETE FROM tasks"))
        await store.keys.add(KEY, "admin", "admin", time.time())
        clients = []
        cache = ResultCache(REDIS_URL, ttl_s=60, prefix=f"{channel}:")
        stack.push_async_callback(cache.aclose)
        for name in ("a", "b"):
            signals = link(request.param, pg_url, channel)
            await signals.start()
            stack.push_async_callback(signals.aclose)
            node = await build_node(
                swarms,
                settings,
                worker=False,
                metrics=Metrics(),
                store=store,
                signals=signals,
                cache=cache,
                manager_id=f"manager-{name}",
            )
            await node.start_manager()
            stack.push_async_callback(node.stop)
            app = node.app(manage_lifecycle=False)
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url=f"http://{name}",
                headers={"Authorization": f"Bearer {KEY}"},
            )
            stack.push_async_callback(client.aclose)
            clients.append(client)
        await _start_worker(stack, store, swarms, settings, link(request.param, pg_url, channel))
        yield Cluster(clients[0], clients[1], cache)


async def _start_worker(
    stack: AsyncExitStack,
    store: Store,
    swarms: list[SwarmSpec],
    settings: Settings,
    signals: RemoteSignals,
) -> None:
    await signals.start()
    stack.push_async_callback(signals.aclose)
    await asyncio.wait_for(signals.connected.wait(), timeout=10)
    node = await build_node(
        swarms, settings, manager=False, metrics=Metrics(), store=store, signals=signals
    )
    await node.start_worker()
    stack.push_async_callback(node.stop, 1)
    await asyncio.sleep(0.3)  # the worker's first claim finds nothing and sleeps 30 s


async def test_a_task_submitted_to_one_manager_runs_at_once_and_is_seen_by_the_other(
    cluster: Cluster,
) -> None:
    done = await cluster.a.post(
        "/api/v1/tasks", params={"wait": 10}, json={"swarm": "nap", "input": {"s": 0.01}}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "succeeded"
    seen = await cluster.b.get(f"/api/v1/tasks/{done.json()['id']}")
    assert seen.json()["status"] == "succeeded"
    cached = await cluster.cache.get(done.json()["id"])
    assert cached is not None and b"succeeded" not in cached  # sealed like stored task data
    assert keyring_of_tests().open(cached.decode(), CACHED_ANSWER).encode() == seen.content


async def test_cancel_through_the_other_manager_stops_the_running_task(cluster: Cluster) -> None:
    task = (await cluster.a.post("/api/v1/tasks", json={"swarm": "nap", "input": {"s": 30}})).json()
    for _ in range(100):
        if (await cluster.b.get(f"/api/v1/tasks/{task['id']}")).json()["status"] == "running":
            break
        await asyncio.sleep(0.05)
    cancelled = await cluster.b.post(f"/api/v1/tasks/{task['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    final = await cluster.a.get(f"/api/v1/tasks/{task['id']}")
    assert final.json()["status"] == "cancelled"


async def test_cluster_shows_both_managers_one_leader_and_the_worker(cluster: Cluster) -> None:
    for _ in range(100):
        info = (await cluster.b.get("/api/v1/cluster")).json()
        if len(info["managers"]) == 2 and info["leader"] and info["workers"]:
            break
        await asyncio.sleep(0.05)
    assert {m["id"] for m in info["managers"]} == {"manager-a", "manager-b"}
    assert [m["leader"] for m in info["managers"]].count(True) == 1
    assert info["leader"] in {"manager-a", "manager-b"}
    assert len(info["workers"]) == 1 and info["workers"][0]["swarms"] == ["nap"]
    assert info["queue_depth"] == {"nap": 0}


async def test_the_advisory_lock_has_one_holder_and_frees_when_it_goes(pg_url: str) -> None:
    first, second = AdvisoryLock(pg_url, key=4242), AdvisoryLock(pg_url, key=4242)
    try:
        assert await first.hold() is True
        assert await second.hold() is False
        assert await first.hold() is True, "the holder keeps it"
        await first.release()  # as when its process dies: the session ends
        for _ in range(50):  # the server frees the lock once it sees the session end
            if await second.hold():
                break
            await asyncio.sleep(0.05)
        assert await second.hold() is True
    finally:
        await first.release()
        await second.release()


async def test_one_idempotency_key_sent_to_both_managers_at_once_is_one_task(
    cluster: Cluster,
) -> None:
    """The loser of the race gets the stored task (same id); unrelated submits are unaffected."""

    async def keyed(client: httpx.AsyncClient, key: str) -> httpx.Response:
        return await client.post(
            "/api/v1/tasks",
            json={"swarm": "nap", "input": {"s": 0}},
            headers={"Idempotency-Key": key},
        )

    async def plain(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/api/v1/tasks", json={"swarm": "nap", "input": {"s": 0}})

    calls = []
    for i in range(15):
        calls += [keyed(cluster.a, f"k{i}"), keyed(cluster.b, f"k{i}"), plain(cluster.a)]
    answers = await asyncio.gather(*calls)
    assert {r.status_code for r in answers} <= {200, 202}, [r.text for r in answers]
    for i in range(15):
        first, second = answers[3 * i], answers[3 * i + 1]
        assert first.json()["id"] == second.json()["id"]
    conflicting = await asyncio.gather(
        cluster.a.post(
            "/api/v1/tasks", json={"swarm": "nap", "input": 1}, headers={"Idempotency-Key": "x"}
        ),
        cluster.b.post(
            "/api/v1/tasks", json={"swarm": "nap", "input": 2}, headers={"Idempotency-Key": "x"}
        ),
    )
    assert sorted(r.status_code for r in conflicting) == [202, 409]
