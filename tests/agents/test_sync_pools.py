"""Sync agents: per-swarm thread pools, abandoned calls, cooperative cancel, process isolation.

Real runtimes and real threads/processes; `tests.support.agents.stuck` blocks a thread until
the test releases it, which is what a sync agent that ignores cancellation does.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llm_helpers import Events
from tests.support import agents as support

from swarmstack.agents import SwarmRuntime, TaskContext
from swarmstack.agents.runtime import saturated
from swarmstack.errors import InvalidInput, TaskTimeout
from swarmstack.metrics import Metrics
from swarmstack.spec import SwarmSpec


def _swarm(name: str, agent: dict[str, Any], **runtime: Any) -> SwarmSpec:
    return SwarmSpec.model_validate(
        {"name": name, "agents": {"main": {"kind": "python", **agent}}, "runtime": runtime}
    )


def _ctx(events: Events, swarm: str = "a") -> TaskContext:
    return TaskContext(task_id="t-1", swarm=swarm, attempt=1, emit=events)


@pytest.fixture(autouse=True)
def _release_stuck_threads() -> Iterator[None]:
    support.STUCK_RELEASE.clear()
    support.STOPPED.clear()
    support.STARTED.clear()
    yield
    support.STUCK_RELEASE.set()


async def test_stuck_calls_in_one_swarm_do_not_starve_another(events: Events) -> None:
    metrics = Metrics()
    stuck = _swarm(
        "a", {"entrypoint": "tests.support.agents:stuck", "timeout": "20ms"}, sync_pool_size=2
    )
    other = _swarm("b", {"entrypoint": "tests.support.agents:upper"}, sync_pool_size=2)
    a, b = SwarmRuntime(stuck, metrics=metrics), SwarmRuntime(other, metrics=metrics)
    for _ in range(2):
        with pytest.raises(TaskTimeout):
            await a.run("x", _ctx(events))
    assert await b.run("still served", _ctx(events, "b")) == "STILL SERVED"
    assert a.pool.abandoned == 2
    abandoned = metrics.registry.get_sample_value(
        "swarmstack_sync_calls_abandoned_total", {"swarm": "a", "agent": "main"}
    )
    assert abandoned == 2
    assert [e["agent"] for e in events.of("sync_call_abandoned")] == ["main", "main"]
    reasons = saturated([a, b])
    assert len(reasons) == 1 and "all 2 sync threads of swarm 'a'" in reasons[0]
    support.STUCK_RELEASE.set()
    await asyncio.to_thread(a.pool._executor.shutdown, wait=True)
    assert a.pool.abandoned == 0 and saturated([a, b]) == []
    await a.aclose()
    await b.aclose()


@pytest.mark.parametrize("how", ["cancel", "step-timeout", "task-timeout"])
async def test_a_cooperative_agent_stops_when_its_call_is_abandoned(
    events: Events, how: str
) -> None:
    timeout = {"timeout": "50ms"} if how == "step-timeout" else {}
    spec = _swarm("a", {"entrypoint": "tests.support.agents:cooperative", **timeout})
    runtime = SwarmRuntime(spec)
    run = asyncio.create_task(runtime.run("x", _ctx(events)))
    if how == "cancel":
        assert await asyncio.to_thread(support.STARTED.wait, 10)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
    elif how == "task-timeout":
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await run
    else:
        with pytest.raises(TaskTimeout):
            await run
    assert await asyncio.to_thread(support.STOPPED.wait, 10), "the agent saw ctx.cancelled"
    await runtime.aclose()


async def test_a_process_isolated_agent_is_killed_on_cancel(events: Events, tmp_path: Path) -> None:
    spec = _swarm("p", {"entrypoint": "tests.support.agents:spin_forever", "isolation": "process"})
    runtime = SwarmRuntime(spec)
    marker = tmp_path / "pid"
    run = asyncio.create_task(runtime.run({"marker": str(marker)}, _ctx(events, "p")))
    pid = await asyncio.to_thread(_wait_for_pid, marker)
    assert pid != os.getpid()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    await runtime.aclose()


async def test_a_process_isolated_agent_answers_from_its_child(events: Events) -> None:
    spec = _swarm("p", {"entrypoint": "tests.support.agents:whoami", "isolation": "process"})
    runtime = SwarmRuntime(spec)
    first = await runtime.run("hi", _ctx(events, "p"))
    second = await runtime.run("again", _ctx(events, "p"))
    assert first["input"] == "hi" and first["pid"] != os.getpid()
    assert second["pid"] == first["pid"], "an idle child is reused"
    await runtime.aclose()


@pytest.mark.parametrize(
    ("entrypoint", "problem"),
    [
        ("tests.support.agents:remember", "cannot take `ctx`"),
        ("tests.support.agents:closure_agent", "must be picklable"),
    ],
)
def test_process_isolation_rejects_what_cannot_cross(entrypoint: str, problem: str) -> None:
    spec = _swarm("p", {"entrypoint": entrypoint, "isolation": "process"})
    with pytest.raises(InvalidInput, match=problem) as caught:
        SwarmRuntime(spec)
    assert "agents.main" in caught.value.render()


def _wait_for_pid(marker: Path) -> int:
    """The child's pid once it wrote it (the child starts a fresh interpreter)."""
    for _ in range(600):
        if marker.exists() and marker.read_text():
            return int(marker.read_text())
        support.STUCK_RELEASE.wait(0.05)
    raise AssertionError("the isolated agent never started")
