"""Every rollout change that retires a version, driven through the real Deployer, rollout
controller and Router on SQLite and PostgreSQL: the retired version's queued tasks run on stable,
and a manager whose routes are from before the change still stores new tasks on stable. Windows
(the stranded-candidate delay, the blue-green scale-down delay) are crossed with a fake clock."""

from __future__ import annotations

import time

import pytest

from swarmstack.core.clock import FakeClock
from swarmstack.core.ids import new_task_id
from swarmstack.core.records import NewTask, TaskRecord
from swarmstack.core.rollout_types import Phase
from swarmstack.core.routing import choose
from swarmstack.deploy.controller import RolloutController
from swarmstack.deploy.router import Router
from swarmstack.deploy.service import Deployer
from swarmstack.errors import NotFound
from swarmstack.metrics import Metrics
from swarmstack.store import Store, WorkerInfo
from tests.conftest import SpecFactory
from tests.integration.deploy.conftest import canary_spec

ECHO = "tests.support.agents:echo"
PAUSED_AT_50 = "{strategy: canary, steps: [{weight: 50, pause: {}}]}"
SESSIONS = [f"user-{i}" for i in range(40)]


async def start(store: Store, make_spec: SpecFactory, rollout: str = PAUSED_AT_50) -> Deployer:
    """Swarm s: 1.0.0 stable and 2.0.0 deployed with `rollout`."""
    deployer = Deployer(store)
    await deployer.deploy(canary_spec(make_spec, ECHO, "1.0.0", rollout), by="op")
    await deployer.deploy(
        canary_spec(make_spec, "tests.support.agents:upper", "2.0.0", rollout), by="op"
    )
    return deployer


async def submit_routed(store: Store, router: Router, n: int = 40) -> list[TaskRecord]:
    """What a manager does: route each task by its session with the routes it has cached."""
    batch = [
        NewTask(new_task_id(), "s", i, 5, 1, 30.0, "t", time.time(), session=key,
                version=router.version_for("s", key))
        for i, key in enumerate(SESSIONS[:n])
    ]  # fmt: skip
    stored = await store.tasks.submit_many(batch)
    return [t for t in stored if isinstance(t, TaskRecord)]


async def versions_of(store: Store, tasks: list[TaskRecord]) -> set[str | None]:
    return {t.version for t in await store.tasks.get_many([t.id for t in tasks])}


async def test_an_abort_moves_the_canary_queue_and_stale_routes_still_land_on_stable(
    store: Store, make_spec: SpecFactory
) -> None:
    deployer = await start(store, make_spec)
    stale = Router(store)
    await stale.refresh()  # a manager that will not hear of the abort for a while
    assert {stale.version_for("s", k) for k in SESSIONS} == {"1.0.0", "2.0.0"}
    before = await submit_routed(store, stale)
    assert "2.0.0" in await versions_of(store, before)
    state = await deployer.command("s", "abort", by="op")
    assert state.phase is Phase.ABORTED
    assert await versions_of(store, before) == {"1.0.0"}
    after = await submit_routed(store, stale)  # routed to 2.0.0 after the abort committed
    assert {t.version for t in after} == {"1.0.0"}
    moved = [t for t in after if choose(t.session or "", "1.0.0", "2.0.0", 50) == "2.0.0"]
    assert moved
    for task in moved:
        [event] = [e for e in await store.events.after(task.id) if e.type == "rerouted"]
        assert event.data == {
            "from": "2.0.0", "to": "1.0.0", "reason": "2.0.0 was aborted; 1.0.0 runs its tasks"
        }  # fmt: skip
    await stale.aclose()


async def test_a_candidate_no_worker_loads_is_aborted_after_its_window_and_its_queue_moves(
    store: Store, make_spec: SpecFactory
) -> None:
    await start(store, make_spec)
    worker = WorkerInfo("w1", "h", 1, ["s"], 0, time.time(), time.time())
    await store.cluster.register(worker)
    await store.cluster.set_versions("w1", ["s@1.0.0"])  # 2.0.0 loads nowhere
    router = Router(store)
    await router.refresh()
    queued = await submit_routed(store, router)
    clock = FakeClock(time.time())
    controller = RolloutController(store, Metrics(), stranded_after_s=30)
    await controller.tick(clock.now())  # the step pauses, waiting for promote
    clock.advance(29)
    assert await controller.tick(clock.now()) == []  # inside the window: not judged yet
    assert "2.0.0" in await versions_of(store, queued)
    clock.advance(2)
    assert await controller.tick(clock.now()) == ["s"]
    current = await store.deployments.state("s")
    assert current is not None and current[0].phase is Phase.ABORTED
    assert await versions_of(store, queued) == {"1.0.0"}


async def test_a_promote_moves_the_old_stables_queue(store: Store, make_spec: SpecFactory) -> None:
    deployer = await start(store, make_spec)
    router = Router(store)
    await router.refresh()
    queued = await submit_routed(store, router)
    await deployer.command("s", "promote", by="op")  # the last step: 2.0.0 is stable
    assert await versions_of(store, queued) == {"2.0.0"}
    assert {t.version for t in await submit_routed(store, router)} == {"2.0.0"}  # stale routes


async def test_blue_green_keeps_the_old_stable_warm_until_its_scale_down_delay(
    store: Store, make_spec: SpecFactory
) -> None:
    blue_green = "{strategy: blue-green, blue_green: {auto_promote: false, scale_down_delay: 30s}}"
    deployer = await start(store, make_spec, blue_green)
    router = Router(store)
    await router.refresh()
    queued = await submit_routed(store, router)
    assert await versions_of(store, queued) == {"1.0.0"}  # the preview takes pins only
    await deployer.command("s", "promote", by="op")
    clock = FakeClock(time.time())
    controller = RolloutController(store, Metrics())
    clock.advance(25)
    await controller.tick(clock.now())
    assert await versions_of(store, queued) == {"1.0.0"}  # warm: still runs its tasks
    clock.advance(10)
    assert await controller.tick(clock.now()) == ["s"]  # the scale-down delay is over
    assert await versions_of(store, queued) == {"2.0.0"}


async def test_a_new_deploy_over_a_paused_candidate_moves_its_queue(
    store: Store, make_spec: SpecFactory
) -> None:
    deployer = await start(store, make_spec)
    router = Router(store)
    await router.refresh()
    queued = await submit_routed(store, router)
    v3 = canary_spec(make_spec, "tests.support.agents:upper", "3.0.0", PAUSED_AT_50)
    result = await deployer.deploy(v3, by="op")
    assert result.state.candidate == "3.0.0"
    assert await versions_of(store, queued) == {"1.0.0"}


async def test_redeploying_stable_mid_rollout_moves_the_candidates_queue(
    store: Store, make_spec: SpecFactory
) -> None:
    deployer = await start(store, make_spec)
    router = Router(store)
    await router.refresh()
    queued = await submit_routed(store, router)
    await deployer.deploy(canary_spec(make_spec, ECHO, "1.0.0", PAUSED_AT_50), by="op")
    assert await versions_of(store, queued) == {"1.0.0"}


async def test_a_rollback_moves_the_left_versions_queue(
    store: Store, make_spec: SpecFactory
) -> None:
    deployer = await start(store, make_spec)
    await deployer.command("s", "promote-full", by="op")
    router = Router(store)
    await router.refresh()
    queued = await submit_routed(store, router)
    assert await versions_of(store, queued) == {"2.0.0"}
    await deployer.rollback("s", None, by="op")
    assert await versions_of(store, queued) == {"1.0.0"}
    assert {t.version for t in await submit_routed(store, router)} == {"1.0.0"}


async def test_new_spec_files_at_start_replace_stable_and_move_its_queue(
    store: Store, make_spec: SpecFactory
) -> None:
    deployer = Deployer(store)
    await deployer.deploy_files([canary_spec(make_spec, ECHO, "1.0.0", PAUSED_AT_50)], by="op")
    router = Router(store)
    await router.refresh()
    queued = await submit_routed(store, router)
    changed = canary_spec(make_spec, "tests.support.agents:upper", "1.1.0", PAUSED_AT_50)
    [result] = await deployer.deploy_files([changed], by="op")  # a restart with new files
    assert result.state.stable == "1.1.0"
    assert await versions_of(store, queued) == {"1.1.0"}


async def test_a_pin_to_an_unknown_version_names_only_the_live_versions(
    store: Store, make_spec: SpecFactory
) -> None:
    deployer = await start(store, make_spec)
    await deployer.command("s", "abort", by="op")
    router = Router(store)
    await router.refresh()
    with pytest.raises(NotFound) as refused:
        await router.pinned("s", "9.9.9")
    assert refused.value.fix == "pin one of: 1.0.0"  # not 2.0.0: pins to it are refused (409)
