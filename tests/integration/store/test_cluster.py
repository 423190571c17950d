"""Worker rows: registered with their versions, kept by heartbeats, and a worker the leader
forgot (silent too long) is registered again by its next heartbeat (both backends)."""

from __future__ import annotations

import time

from swarmstack.store import Store
from swarmstack.store.cluster import WorkerInfo


def info(in_flight: int = 0, versions: tuple[str, ...] = ("s@1",)) -> WorkerInfo:
    now = time.time()
    return WorkerInfo("w-1", "host", 42, ["s"], in_flight, now, now, versions)


async def test_a_registered_worker_carries_its_versions(store: Store) -> None:
    await store.cluster.register(info())
    [worker] = await store.cluster.workers()
    assert (worker.id, worker.swarms, worker.versions) == ("w-1", ["s"], ("s@1",))


async def test_a_heartbeat_records_load_and_never_puts_back_older_versions(store: Store) -> None:
    await store.cluster.register(info())
    await store.cluster.set_versions("w-1", ["s@1", "s@2"])  # a version loaded meanwhile
    assert await store.cluster.beat(info(in_flight=7, versions=("s@1",)))  # read before it
    [worker] = await store.cluster.workers(alive_within_s=60)
    assert (worker.in_flight, worker.versions) == (7, ("s@1", "s@2"))


async def test_a_forgotten_worker_is_registered_again_by_its_heartbeat(store: Store) -> None:
    await store.cluster.register(info())
    await store.cluster.deregister("w-1")  # as the leader forgets a worker silent too long
    assert await store.cluster.workers() == []
    assert not await store.cluster.beat(info(in_flight=3))
    [worker] = await store.cluster.workers(alive_within_s=60)
    assert (worker.id, worker.in_flight, worker.versions) == ("w-1", 3, ("s@1",))
    assert await store.cluster.beat(info(in_flight=1))
