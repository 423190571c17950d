"""No queued task is left on a version its swarm no longer runs, on SQLite and PostgreSQL: a
state change moves them in its own transaction, a submit routed by stale routes lands on stable,
a pin to a retired version is refused, and every way back to the queue (a retry, an expired
lease, a release) lands on stable too, with a `rerouted` event saying why. A task already
claimed keeps its attempt and its outcome."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from swarmstack.core.ids import TaskId, WorkerId, new_task_id
from swarmstack.core.records import NewTask, Outcome, OutcomeKind, TaskRecord
from swarmstack.core.rollout import begin, command, rollback
from swarmstack.core.rollout_types import Action, RolloutPlan, RolloutState, Step
from swarmstack.core.states import TaskStatus
from swarmstack.errors import Conflict
from swarmstack.store import Store, open_store
from tests.support.keys import keyring_of_tests
from tests.support.store_time import travel

W = WorkerId("w")
CANARY = RolloutPlan(strategy="canary", steps=(Step(50, None),))
Decide = Callable[[RolloutState], tuple[RolloutState, list[Action]]]


def new(version: str | None, *, pinned: bool = False) -> NewTask:
    return NewTask(
        new_task_id(), "s", {"v": version}, 5, 3, 30.0, "t", time.time(), version=version,
        pinned=pinned,
    )  # fmt: skip


async def submit(store: Store, *tasks: NewTask) -> list[TaskRecord]:
    stored = await store.tasks.submit_many(tasks)
    assert all(isinstance(t, TaskRecord) for t in stored), stored
    return [t for t in stored if isinstance(t, TaskRecord)]


async def change(store: Store, decide: Decide) -> RolloutState:
    current = await store.deployments.state("s")
    assert current is not None
    new_state, _ = decide(current[0])
    assert await store.deployments.save_state("s", new_state, current[1], time.time())
    return new_state


async def canary(store: Store) -> RolloutState:
    """Swarm s: 1.0 stable, 1.1 a paused canary at 50 %."""
    first, _ = begin(CANARY, None, "1.0", time.time())
    await store.deployments.save_state("s", first, None, time.time())
    return await change(store, lambda s: begin(CANARY, s, "1.1", time.time()))


async def rerouted(store: Store, task_id: str) -> list[dict[str, object]]:
    return [e.data for e in await store.events.after(task_id) if e.type == "rerouted"]


async def test_an_abort_moves_the_candidates_queued_tasks_in_its_transaction(
    store: Store,
) -> None:
    await canary(store)
    running, queued, stable = await submit(store, new("1.1"), new("1.1"), new("1.0"))
    [claimed] = await store.claims.claim(W, ["s"], 1, time.time(), 30)
    assert claimed.id == running.id
    await change(store, lambda s: command(CANARY, s, time.time(), "abort"))
    assert (await store.tasks.get(queued.id)).version == "1.0"
    assert await rerouted(store, queued.id) == [
        {"from": "1.1", "to": "1.0", "reason": "1.1 was aborted; 1.0 runs its tasks"}
    ]
    got = await store.tasks.get(running.id)  # began on the canary: keeps its attempt there
    assert (got.status, got.version) == (TaskStatus.RUNNING, "1.1")
    assert await rerouted(store, stable.id) == []
    done = Outcome(running.id, W, 1, OutcomeKind.SUCCEEDED, time.time(), result="ok")
    assert [a.status for a in await store.claims.record([done])] == [TaskStatus.SUCCEEDED]
    assert (await store.tasks.get(running.id)).version == "1.1"  # its outcome stays its own


async def test_a_submit_routed_by_stale_routes_is_stored_on_stable(store: Store) -> None:
    await canary(store)
    await change(store, lambda s: command(CANARY, s, time.time(), "abort"))
    [task] = await submit(store, new("1.1"))  # a manager that has not refreshed its routes
    assert task.version == "1.0"  # the 202 names the version it will run on
    assert (await store.tasks.get(task.id)).version == "1.0"
    assert await rerouted(store, task.id) == [
        {"from": "1.1", "to": "1.0", "reason": "1.1 was aborted; 1.0 runs its tasks"}
    ]
    [live] = await submit(
        store,
        new("1.0"),
    )
    assert await rerouted(store, live.id) == []


async def test_a_pin_to_a_retired_version_is_refused_and_a_live_pin_kept(store: Store) -> None:
    await canary(store)
    [preview] = await submit(store, new("1.1", pinned=True))
    assert preview.version == "1.1"
    await change(store, lambda s: command(CANARY, s, time.time(), "abort"))
    [refused, kept] = await store.tasks.submit_many(
        [new("1.1", pinned=True), new("1.0", pinned=True)]
    )
    assert isinstance(refused, Conflict)
    assert "version 1.1 of swarm s takes no new tasks: 1.1 was aborted" in refused.message
    assert refused.fix is not None and "pin a live version (1.0)" in refused.fix
    assert isinstance(kept, TaskRecord) and kept.version == "1.0"
    assert (await store.tasks.get(preview.id)).version == "1.0"  # queued before: moved


async def test_a_promote_moves_the_old_stables_queue(store: Store) -> None:
    await canary(store)
    old = await submit(store, new("1.0"), new("1.0"))
    await change(store, lambda s: command(CANARY, s, time.time(), "promote-full"))
    for task in old:
        assert (await store.tasks.get(task.id)).version == "1.1"
        [event] = await rerouted(store, task.id)
        assert event["reason"] == "1.0 is no longer live (stable is 1.1); 1.1 runs its tasks"


async def test_a_rollback_mid_rollout_moves_both_retired_queues(store: Store) -> None:
    await canary(store)
    old, cand, unversioned = await submit(store, new("1.0"), new("1.1"), new(None))
    await change(store, lambda s: rollback(s, "0.9", time.time()))
    assert {(await store.tasks.get(t.id)).version for t in (old, cand)} == {"0.9"}
    assert (await store.tasks.get(unversioned.id)).version is None  # any worker runs it


async def test_a_step_moves_nothing(store: Store) -> None:
    await canary(store)
    [task] = await submit(store, new("1.1"))
    await change(store, lambda s: command(CANARY, s, time.time(), "pause"))
    assert (await store.tasks.get(task.id)).version == "1.1"


async def test_a_retry_after_its_version_was_retired_runs_on_stable(store: Store) -> None:
    await canary(store)
    [task] = await submit(store, new("1.0"))
    [claimed] = await store.claims.claim(W, ["s"], 1, time.time(), 30)
    await change(store, lambda s: command(CANARY, s, time.time(), "promote-full"))
    failure = Outcome(task.id, W, 1, OutcomeKind.FAILED, time.time(), error="x", retryable=True)
    [applied] = await store.claims.record([failure])
    assert applied.status is TaskStatus.QUEUED
    got = await store.tasks.get(task.id)
    assert (got.status, got.version, got.attempts) == (TaskStatus.QUEUED, "1.1", 1)
    types = [e.type for e in await store.events.after(task.id)]
    assert types == ["started", "retrying", "rerouted"]
    assert claimed.version == "1.0"


async def test_a_failure_on_an_aborted_canary_reruns_on_stable(store: Store) -> None:
    await canary(store)
    [task] = await submit(store, new("1.1"))
    await store.claims.claim(W, ["s"], 1, time.time(), 30)
    await change(store, lambda s: command(CANARY, s, time.time(), "abort"))
    failure = Outcome(task.id, W, 1, OutcomeKind.FAILED, time.time(), error="x", retryable=False)
    await store.claims.record([failure])
    got = await store.tasks.get(task.id)
    assert (got.status, got.version) == (TaskStatus.QUEUED, "1.0")


async def test_an_expired_lease_on_a_replaced_candidate_goes_back_on_stable(
    store: Store,
) -> None:
    await canary(store)
    [task] = await submit(store, new("1.1"))
    await store.claims.claim(W, ["s"], 1, time.time(), 5)
    await change(store, lambda s: begin(CANARY, s, "1.2", time.time()))  # 1.1 replaced
    await travel(store, 10)
    swept = await store.claims.sweep(time.time())
    assert swept == [("s", TaskStatus.QUEUED)]
    got = await store.tasks.get(task.id)
    assert (got.status, got.version) == (TaskStatus.QUEUED, "1.0")
    assert [e.type for e in await store.events.after(task.id)][-2:] == ["retrying", "rerouted"]


async def test_a_released_task_of_a_rolled_back_version_goes_to_the_new_stable(
    store: Store,
) -> None:
    await canary(store)
    [task] = await submit(store, new("1.0"))
    await store.claims.claim(W, ["s"], 1, time.time(), 30)
    await change(store, lambda s: rollback(s, "0.9", time.time()))
    assert await store.claims.release(W, [TaskId(task.id)], time.time()) == 1
    got = await store.tasks.get(task.id)
    assert (got.status, got.version, got.attempts) == (TaskStatus.QUEUED, "0.9", 0)
    [event] = await rerouted(store, task.id)
    assert (event["from"], event["to"]) == ("1.0", "0.9")


@pytest.fixture
async def manager(store: Store, store_url: str) -> AsyncIterator[Store]:
    """A second connection pool, as another manager has."""
    other = await open_store(store_url, keyring=keyring_of_tests())
    try:
        yield other
    finally:
        await other.close()


async def test_submits_racing_an_abort_never_stay_on_the_candidate(
    store: Store, manager: Store
) -> None:
    for round_ in range(8):
        swarm = f"s{round_}"
        first, _ = begin(CANARY, None, "1.0", time.time())
        await store.deployments.save_state(swarm, first, None, time.time())
        rolling, _ = begin(CANARY, first, "1.1", time.time())
        await store.deployments.save_state(swarm, rolling, 1, time.time())
        aborted, _ = command(CANARY, rolling, time.time(), "abort")
        stale = [replace(new("1.1"), swarm=swarm) for _ in range(6)]
        await asyncio.gather(
            store.deployments.save_state(swarm, aborted, 2, time.time()),
            *(manager.tasks.submit_many([t]) for t in stale),
        )
        assert await store.tasks.queued_versions([swarm]) == [(swarm, "1.0")]


async def test_retries_racing_a_promote_never_stay_on_the_old_stable(
    store: Store, manager: Store
) -> None:
    for round_ in range(6):
        swarm = f"r{round_}"
        first, _ = begin(CANARY, None, "1.0", time.time())
        await store.deployments.save_state(swarm, first, None, time.time())
        rolling, _ = begin(CANARY, first, "1.1", time.time())
        await store.deployments.save_state(swarm, rolling, 1, time.time())
        await submit(store, *(replace(new("1.0"), swarm=swarm) for _ in range(6)))
        claimed = await store.claims.claim(W, [swarm], 6, time.time(), 30)
        promoted, _ = command(CANARY, rolling, time.time(), "promote-full")
        failures = [
            Outcome(t.id, W, 1, OutcomeKind.FAILED, time.time(), error="x", retryable=True)
            for t in claimed
        ]
        await asyncio.gather(
            store.deployments.save_state(swarm, promoted, 2, time.time()),
            *(manager.claims.record([f]) for f in failures),
        )
        assert await store.tasks.queued_versions([swarm]) == [(swarm, "1.1")]
