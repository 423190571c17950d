"""A worker stops on request even while the store is unreachable, and loses nothing: what it could
not record runs again once the store is back (its lease expires)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from swarmstack.core.ids import new_task_id
from swarmstack.core.records import NewTask
from swarmstack.core.states import TaskStatus
from swarmstack.store import open_store
from tests.conftest import SpecFactory, _pg_admin, throwaway_database
from tests.support.keys import keyring_of_tests
from tests.support.workers import nap_worker


@pytest.fixture
def own_database() -> Iterator[str]:
    """A PostgreSQL database this test may lock out."""
    yield from throwaway_database("swarmstack_stop")


async def _lock_out(url: str, allow: bool) -> None:
    name = make_url(url).database
    await _pg_admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allow).lower()}')
    if not allow:
        await _pg_admin(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        )


async def test_stop_returns_while_the_store_is_down_and_the_task_runs_again(
    own_database: str, make_spec: SpecFactory
) -> None:
    store = await open_store(own_database, keyring=keyring_of_tests())
    worker = nap_worker(store, make_spec)
    task = NewTask(new_task_id(), "s", {"s": 1.0}, 5, 3, 30.0, "t", time.time())
    await store.tasks.submit_many([task])
    await worker.start()
    for _ in range(200):
        if worker.running:
            break
        await asyncio.sleep(0.02)
    assert list(worker.running) == [task.id]
    await _lock_out(own_database, allow=False)
    try:
        await asyncio.wait_for(worker.stop(drain_timeout_s=2.0), timeout=30)
    finally:
        await _lock_out(own_database, allow=True)
    got = await store.tasks.get(task.id)
    assert got.status is TaskStatus.RUNNING  # its outcome could not be recorded ...
    await asyncio.sleep(1.2)
    assert await store.claims.sweep(time.time()) == [("s", TaskStatus.QUEUED)]  # ... so it re-runs
    await store.close()
