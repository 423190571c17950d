"""One clock: leases, visibility and schedules are judged on the database's clock, so a worker
whose clock is far off still claims at once, and its tasks are not swept while it runs them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from swarmstack.core.ids import new_task_id
from swarmstack.core.records import NewTask
from swarmstack.core.states import TaskStatus
from swarmstack.store import Store
from swarmstack.worker import Worker
from tests.conftest import SpecFactory
from tests.integration.store.test_claims import submit
from tests.support.workers import nap_worker

HOUR = 3600.0


class SkewedClock:
    """The wall clock moved by `offset_s`: a host whose clock is off."""

    def __init__(self, offset_s: float) -> None:
        self.offset_s = offset_s

    def now(self) -> float:
        return time.time() + self.offset_s


@pytest.fixture(params=[-HOUR, HOUR], ids=["behind", "ahead"])
async def skewed_worker(
    request: pytest.FixtureRequest, store: Store, make_spec: SpecFactory
) -> AsyncIterator[Worker]:
    worker = nap_worker(store, make_spec, SkewedClock(request.param))
    await worker.start()
    yield worker
    await worker.stop(drain_timeout_s=1)


async def _finished(store: Store, task_id: str) -> TaskStatus:
    for _ in range(400):
        status = (await store.tasks.get(task_id)).status
        if status.terminal:
            return status
        await asyncio.sleep(0.025)
    return status


async def test_a_skewed_worker_claims_fresh_tasks_at_once(
    store: Store, skewed_worker: Worker
) -> None:
    [task_id] = await submit(store)
    assert await _finished(store, task_id) is TaskStatus.SUCCEEDED


async def test_a_skewed_worker_keeps_its_leases_while_a_sweeper_runs(
    store: Store, skewed_worker: Worker
) -> None:
    """The task outlives its 1 s lease three times over; heartbeats renew it on the store's
    clock, so a sweeper on a correct clock never takes it away."""
    task = NewTask(new_task_id(), "s", {"s": 3.0}, 5, 3, 30.0, "t", time.time())
    [stored] = await store.tasks.submit_many([task])
    deadline = time.monotonic() + 10
    swept: list[tuple[str, TaskStatus]] = []
    while time.monotonic() < deadline:
        swept += await store.claims.sweep(time.time())
        if (await store.tasks.get(task.id)).status.terminal:
            break
        await asyncio.sleep(0.2)
    assert swept == []
    done = await store.tasks.get(stored.id)
    assert (done.status, done.attempts) == (TaskStatus.SUCCEEDED, 1)
