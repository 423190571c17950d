"""Faults on the scale-out setup (PostgreSQL store, separate manager and worker processes):
a killed worker's tasks re-run elsewhere; a killed manager loses no accepted task and its
leadership moves to another manager."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import pg_query, spec_text
from tests.process.conftest import Procs, wait_ready
from tests.support.keys import TEST_KEY
from tests.support.net import free_port

pytestmark = pytest.mark.process
KEY = "ssk_pg_faults_key"
HEADERS = {"Authorization": f"Bearer {KEY}"}


def env_for(url: str) -> dict[str, str]:
    return {
        "SWARMSTACK_STORE__URL": url,
        "SWARMSTACK_SECURITY__ADMIN_KEY": KEY,
        "SWARMSTACK_WORKER__SWEEP_INTERVAL": "0.5",
        "SWARM_ENCRYPTION_KEY": TEST_KEY,
    }


def statuses(url: str) -> dict[str, int]:
    rows = pg_query(url, "SELECT status, count(*) FROM tasks GROUP BY status")
    return {str(s): int(str(n)) for s, n in rows}


def wait_until_done(url: str, total: int, timeout_s: float = 90) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        counts = statuses(url)
        if sum(counts.values()) >= total and not {"queued", "running"} & set(counts):
            return counts
        time.sleep(0.3)
    return statuses(url)


def outcome_counts(url: str) -> list[int]:
    rows = pg_query(
        url,
        "SELECT count(*) FROM task_events WHERE type IN "
        "('succeeded','failed','timed_out','cancelled','budget_exceeded') GROUP BY task_id",
    )
    return [int(str(r[0])) for r in rows]


async def submit(base: str, count: int, seconds: float) -> list[str]:
    async with httpx.AsyncClient(base_url=base, headers=HEADERS, timeout=30) as http:
        sem = asyncio.Semaphore(16)

        async def one(i: int) -> str | None:
            async with sem:
                try:
                    response = await http.post(
                        "/api/v1/tasks", json={"swarm": "napper", "input": {"s": seconds}}
                    )
                except httpx.HTTPError:
                    return None  # never accepted: the client sees the failure
                return str(response.json()["id"]) if response.status_code == 202 else None

        ids = await asyncio.gather(*(one(i) for i in range(count)))
        return [i for i in ids if i is not None]


def test_a_killed_worker_s_tasks_rerun_on_another(
    procs: Procs, tmp_path: Path, fresh_pg_url: str
) -> None:
    spec = tmp_path / "napper.yaml"
    spec.write_text(
        spec_text("napper", "tests.support.agents:nap", "{max_concurrent: 20, lease: 2s}")
    )
    env = env_for(fresh_pg_url)
    port = free_port()
    procs.start("serve", str(spec), "--port", str(port), env={**env, "SWARM_MODE": "manager"})
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, path="/health")
    victim = procs.start("serve", str(spec), "--no-http", env={**env, "SWARM_MODE": "worker"})
    ids = asyncio.run(submit(base, 60, 1.0))
    assert len(ids) == 60
    deadline = time.monotonic() + 30
    while statuses(fresh_pg_url).get("running", 0) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    procs.start("serve", str(spec), "--no-http", env={**env, "SWARM_MODE": "worker"})
    counts = wait_until_done(fresh_pg_url, len(ids))
    assert counts == {"succeeded": len(ids)}, procs.logs()[-3000:]
    assert outcome_counts(fresh_pg_url) == [1] * len(ids)
    reruns = pg_query(
        fresh_pg_url, "SELECT count(*) FROM task_attempts WHERE status = 'lease_expired'"
    )
    assert int(str(reruns[0][0])) > 0, "the killed worker's leased tasks were re-run"


def test_a_killed_manager_loses_no_accepted_task_and_the_leader_moves(
    procs: Procs, tmp_path: Path, fresh_pg_url: str
) -> None:
    spec = tmp_path / "napper.yaml"
    spec.write_text(spec_text("napper", "tests.support.agents:nap", "{max_concurrent: 50}"))
    env = env_for(fresh_pg_url)
    ports = [free_port(), free_port()]
    managers = [
        procs.start(
            "serve",
            str(spec),
            "--port",
            str(p),
            env={**env, "SWARM_MODE": "manager"},
            name=f"manager{i}",
        )
        for i, p in enumerate(ports)
    ]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    for base in bases:
        wait_ready(base, path="/health")
    procs.start("serve", str(spec), "--no-http", env={**env, "SWARM_MODE": "worker"})
    leader = _leader(bases[1])
    doomed = next(i for i, p in enumerate(managers) if f"-{p.pid}" in leader)
    survivor = bases[1 - doomed]

    async def load() -> list[str]:
        first = asyncio.create_task(submit(bases[doomed], 150, 0.05))
        await asyncio.sleep(0.3)
        managers[doomed].send_signal(signal.SIGKILL)
        second = await submit(survivor, 100, 0.05)
        return [*await first, *second]

    accepted = asyncio.run(load())
    assert len(accepted) >= 100
    counts = wait_until_done(fresh_pg_url, len(accepted))
    assert statuses(fresh_pg_url) == {"succeeded": sum(counts.values())}, procs.logs()[-3000:]
    stored = {str(r[0]) for r in pg_query(fresh_pg_url, "SELECT id FROM tasks")}
    assert set(accepted) <= stored, "every task a client saw accepted is stored and done"
    assert _leader(survivor, not_=leader) != leader


def _leader(base: str, not_: str | None = None, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        info = httpx.get(base + "/api/v1/cluster", headers=HEADERS, timeout=5).json()
        if info["leader"] and info["leader"] != not_:
            return str(info["leader"])
        time.sleep(0.2)
    raise AssertionError(f"no new leader within {timeout_s}s (was {not_})")
