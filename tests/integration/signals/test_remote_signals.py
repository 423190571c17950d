"""Signals between nodes over real PostgreSQL (LISTEN/NOTIFY), Redis (pub/sub) and Unix
datagram sockets (SQLite stores)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from swarmstack.signals import DualSignals, PgSignals, RedisSignals, ResultCache
from swarmstack.signals.remote import RemoteSignals
from swarmstack.signals.socket_signals import SocketSignals, socket_dir
from tests.support.redis_server import REDIS_URL, RedisServer

Factory = Callable[[], RemoteSignals]


@pytest.fixture(params=["postgresql", "redis", "socket"])
async def nodes(
    request: pytest.FixtureRequest, pg_url: str, tmp_path: Path
) -> AsyncIterator[Factory]:
    """Makes connected signal nodes on one private channel; closes them afterwards."""
    channel = f"swarmstack_test_{secrets.token_hex(4)}"
    made: list[RemoteSignals] = []

    def make() -> RemoteSignals:
        node: RemoteSignals
        if request.param == "postgresql":
            node = PgSignals(pg_url)
        elif request.param == "redis":
            node = RedisSignals(REDIS_URL)
        else:
            node = SocketSignals(socket_dir(str(tmp_path / "store.db")))
        node.channel = channel
        made.append(node)
        return node

    yield make
    for node in made:
        await node.aclose()


async def connected(*nodes: RemoteSignals) -> None:
    for node in nodes:
        await node.start()
    for node in nodes:
        await asyncio.wait_for(node.connected.wait(), timeout=10)


class Seen:
    """Ids a listener received, with an event per arrival."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.arrived = asyncio.Event()

    def __call__(self, ids: list[str]) -> None:
        self.ids.extend(ids)
        self.arrived.set()

    async def until(self, count: int) -> list[str]:
        while len(self.ids) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), timeout=10)
        return self.ids


async def test_work_on_one_node_wakes_another(nodes: Factory) -> None:
    a, b = nodes(), nodes()
    await connected(a, b)
    waiting = asyncio.create_task(b.wait_for_work(timeout_s=60))
    await asyncio.sleep(0.05)
    a.work_submitted(["s"])
    await asyncio.wait_for(waiting, timeout=10)  # woken by the signal, not by the 60 s poll


async def test_finished_and_cancelled_ids_reach_every_node_once(nodes: Factory) -> None:
    a, b = nodes(), nodes()
    await connected(a, b)
    finished_a, finished_b, cancelled_b = Seen(), Seen(), Seen()
    a.on_finished(finished_a)
    b.on_finished(finished_b)
    b.on_cancel(cancelled_b)
    ids = [f"t_{i}" for i in range(400)]  # more than one message's worth
    a.tasks_finished(ids)
    a.cancel_requested(["t_x"])
    assert await finished_b.until(len(ids)) == ids
    assert await cancelled_b.until(1) == ["t_x"]
    await asyncio.sleep(0.2)
    assert finished_a.ids == ids, "a node hears its own signal once, locally"


async def test_redis_restart_reconnects_without_a_restart(redis_server: RedisServer) -> None:
    a, b = RedisSignals(redis_server.url), RedisSignals(redis_server.url)
    try:
        await connected(a, b)
        redis_server.stop()
        await asyncio.wait_for(_disconnected(b), timeout=10)
        seen = Seen()
        a.on_finished(seen)
        a.tasks_finished(["while-down"])  # local listeners still hear it
        assert seen.ids == ["while-down"]
        redis_server.start()
        await asyncio.wait_for(asyncio.gather(a.connected.wait(), b.connected.wait()), 15)
        remote = Seen()
        b.on_finished(remote)
        a.tasks_finished(["after"])
        assert await remote.until(1) == ["after"]
    finally:
        await a.aclose()
        await b.aclose()


async def _disconnected(node: RemoteSignals) -> None:
    while node.connected.is_set():  # noqa: ASYNC110 - the link exposes only `connected`
        await asyncio.sleep(0.05)


async def test_result_cache_round_trip_and_misses_while_redis_is_down(
    redis_server: RedisServer,
) -> None:
    cache = ResultCache(redis_server.url, ttl_s=60)
    try:
        assert await cache.get("t_1") is None
        await cache.put("t_1", b'{"id": "t_1"}')
        assert await cache.get("t_1") == b'{"id": "t_1"}'
        redis_server.stop()
        assert await cache.get("t_1") is None
        await cache.put("t_2", b"{}")  # no error: the store stays the source of truth
    finally:
        await cache.aclose()


def _dual(pg_url: str, redis_url: str, channel: str) -> DualSignals:
    redis, pg = RedisSignals(redis_url), PgSignals(pg_url)
    redis.channel = pg.channel = channel
    return DualSignals(redis, pg)


async def test_dual_signals_fall_back_to_postgresql_while_redis_is_down(
    redis_server: RedisServer, pg_url: str
) -> None:
    channel = f"swarmstack_test_{secrets.token_hex(4)}"
    a, b = _dual(pg_url, redis_server.url, channel), _dual(pg_url, redis_server.url, channel)
    over_pg, over_redis = Seen(), Seen()  # bystanders: which link carried each signal
    pg_tap, redis_tap = PgSignals(pg_url), RedisSignals(redis_server.url)
    pg_tap.channel = redis_tap.channel = channel
    pg_tap.on_finished(over_pg)
    redis_tap.on_finished(over_redis)
    try:
        await connected(pg_tap, redis_tap, *a.links, *b.links)
        seen_b = Seen()
        b.on_finished(seen_b)
        a.tasks_finished(["up"])
        assert await seen_b.until(1) == ["up"]
        assert await over_redis.until(1) == ["up"]
        redis_server.stop()
        for link in (a.links[0], b.links[0], redis_tap):
            await asyncio.wait_for(_disconnected(link), timeout=10)
        a.tasks_finished(["down"])  # Redis is down: PostgreSQL NOTIFY carries it
        assert await seen_b.until(2) == ["up", "down"]
        assert await over_pg.until(1) == ["down"]
        redis_server.start()
        await asyncio.wait_for(a.links[0].connected.wait(), timeout=15)
        await asyncio.wait_for(b.links[0].connected.wait(), timeout=15)
        await asyncio.wait_for(redis_tap.connected.wait(), timeout=15)
        a.tasks_finished(["back"])  # Redis is used again, without a restart
        assert await seen_b.until(3) == ["up", "down", "back"]
        assert await over_redis.until(2) == ["up", "back"]
        assert over_pg.ids == ["down"], "each signal goes out on one link only"
    finally:
        for node in (a, b, pg_tap, redis_tap):
            await node.aclose()


async def test_keep_alive_pings_and_busy_sending_share_the_connection(pg_url: str) -> None:
    """The listener's ping and the send loop's NOTIFYs never run at once on the one asyncpg
    connection (which refuses with "another operation is in progress" and drops the link)."""
    channel = f"swarmstack_test_{secrets.token_hex(4)}"
    a, b = PgSignals(pg_url), PgSignals(pg_url)
    for node in (a, b):
        node.channel = channel
        node.ping_s = 0.0005  # type: ignore[misc]
    try:
        await connected(a, b)
        seen = Seen()
        b.on_finished(seen)
        for i in range(300):
            a.tasks_finished([f"t_{i}"])
            await asyncio.sleep(0)  # one NOTIFY each, interleaved with the pings
        assert sorted(await seen.until(300)) == sorted(f"t_{i}" for i in range(300))
        assert a.connected.is_set() and b.connected.is_set()
    finally:
        await a.aclose()
        await b.aclose()
