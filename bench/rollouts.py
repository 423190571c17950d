"""The rollout scenarios: a bad canary under steady load, and the cost of routing on submit.

    python bench/run.py canary     # a canary that fails half its tasks (and one 5x dearer)
    python bench/run.py routing    # submit throughput: one stable version vs a 50 % canary

canary: `swarmstack up` (SQLite) takes a steady paced load of `?wait=` submits for the whole
run; a candidate is deployed with one 20 % step held 60 s and an analysis every 5 s. Measured:
deploy-to-abort (in analysis intervals, goal <= 2), tasks lost (sent minus finished, goal 0),
non-succeeded answers seen by clients (goal 0: a candidate's failures re-run on stable) and how
many tasks ran on the candidate.

routing: one `up` serves two identical no-op swarms; one of them has a candidate held at 50 %
(`pause: {}`). wrk alternates between them (A B, B A, ...), runs of the same length, draining
the queue before each; the ratio of the medians is the cost of routing (goal: < 3 % slower).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.procs import (
    KEY,
    Connection,
    base_env,
    free_port,
    pct,
    process,
    swarmstack,
    wait_drained,
    wait_http,
    wrk,
)

RUNTIME = {"max_concurrent": 1000, "timeout": "30s", "retry_attempts": 0}
AUTH = {"Authorization": f"Bearer {KEY}"}


def spec(name: str, release: str, agent: str, rollout: dict[str, Any] | None = None) -> Any:
    """A one-agent swarm running `bench.agents:<agent>` (JSON, which is also YAML)."""
    body: dict[str, Any] = {
        "version": 1,
        "name": name,
        "release": release,
        "agents": {"work": {"kind": "python", "entrypoint": f"bench.agents:{agent}"}},
        "runtime": RUNTIME,
    }
    if rollout is not None:
        body["rollout"] = rollout
    return body


# --- a steady load that keeps every answer ------------------------------------------------------
@dataclass
class Load:
    """What the clients of a steady load saw."""

    sent: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # "200 succeeded 1.0.0", "202 ..."
    bad: list[str] = field(default_factory=list)  # the first few non-succeeded answers
    latencies: list[float] = field(default_factory=list)
    late_s: float = 0.0  # the most the client fell behind its schedule


async def steady(
    base: str, swarm: str, rate: float, stop: asyncio.Event, connections: int = 512
) -> Load:
    """Submit `{"n": i}` with `?wait=30` at `rate` until `stop` is set, then wait for every
    answer. Like `paced`, latency is measured from when each request was due."""
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST /api/v1/tasks?wait=30 HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
    )
    pool = [Connection(host, int(port)) for _ in range(connections)]
    load = Load()

    async def one(conn: Connection, i: int, due: float) -> None:
        body = json.dumps({"swarm": swarm, "input": {"n": i}}).encode()
        request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        try:
            status, answer = await conn.post(request)
        except Exception as exc:  # a lost request is a result, not a crash
            load.answers[f"error {type(exc).__name__}"] += 1
            return
        task: dict[str, Any] = {}
        with contextlib.suppress(ValueError):
            task = json.loads(answer)
        key = f"{status} {task.get('status')} {task.get('version')}"
        load.answers[key] += 1
        if status == 200 and task.get("status") == "succeeded":
            load.latencies.append(time.perf_counter() - due)
        elif len(load.bad) < 5:
            load.bad.append(answer[:300].decode(errors="replace"))

    pending: list[asyncio.Task[None]] = []
    began = time.perf_counter()
    i = 0
    while not stop.is_set():
        due = began + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        load.late_s = max(load.late_s, -delay)
        pending.append(asyncio.create_task(one(pool[i % connections], i, due)))
        i += 1
    load.sent = i
    await asyncio.gather(*pending)
    for conn in pool:
        conn.close()
    return load


# --- canary -------------------------------------------------------------------------------------
async def deploy(client: httpx.AsyncClient, body: Any, message: str) -> dict[str, Any]:
    answer = await client.post("/api/v1/deployments", json={"spec": body, "message": message})
    if answer.status_code >= 300:
        raise RuntimeError(f"deploy answered {answer.status_code}: {answer.text}")
    result: dict[str, Any] = answer.json()
    return result


async def bad_canary(
    base: str, candidate: Any, rate: float, warmup_s: float, tail_s: float, limit_s: float
) -> dict[str, Any]:
    """Steady load; after `warmup_s` deploy `candidate`, watch the rollout until it is aborted
    (or `limit_s` passes), keep the load on `tail_s` more, then stop it."""
    stop = asyncio.Event()
    load_task = asyncio.create_task(steady(base, "noop", rate, stop))
    phases: list[tuple[float, str, int]] = []
    async with httpx.AsyncClient(base_url=base, headers=AUTH, timeout=30) as client:
        await asyncio.sleep(warmup_s)
        deployed_at = time.time()
        await deploy(client, candidate, "bench: a bad canary")
        state: dict[str, Any] = {}
        while time.time() - deployed_at < limit_s:
            state = (await client.get("/api/v1/swarms/noop/rollout")).json()
            if not phases or phases[-1][1:] != (state["phase"], state["weight"]):
                phases.append(
                    (round(time.time() - deployed_at, 2), state["phase"], state["weight"])
                )
            if state["phase"] != "progressing":
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(tail_s)
        stop.set()
        load = await load_task
        state = (await client.get("/api/v1/swarms/noop/rollout")).json()
    aborts = [h["created_at"] for h in state["history"] if h["action"] == "abort"]
    abort_at = min((t for t in aborts if t >= deployed_at), default=None)
    return {
        "deployed_at": deployed_at,
        "abort_at": abort_at,
        "phases_seen": phases,
        "final_phase": state["phase"],
        "analyses": [
            {k: a.get(k) for k in ("at", "verdict", "checks", "candidate", "stable")}
            for a in state["analyses"]
        ],
        "history": [(h["action"], h["version"], h["message"]) for h in state["history"]],
        "load": load,
    }


def store_counts(db: Path, candidate: str, abort_at: float | None) -> dict[str, Any]:
    """Tasks by status and version, and the runs the candidate made (before the abort)."""
    cut = abort_at if abort_at is not None else float("inf")
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        by = conn.execute(
            "SELECT status, version, count(*) FROM tasks GROUP BY status, version"
        ).fetchall()
        ok = conn.execute(
            "SELECT count(*), sum(started_at < ?) FROM tasks "
            "WHERE version = ? AND status = 'succeeded'",
            (cut, candidate),
        ).fetchone()
        failed = conn.execute(
            "SELECT count(*), sum(started_at < ?), count(DISTINCT task_id) FROM task_attempts "
            "WHERE version = ?",
            (cut, candidate),
        ).fetchone()
        after = conn.execute(
            "SELECT count(*), sum(t.created_at >= ?), max(r.started_at) - ? FROM "
            "(SELECT task_id, started_at FROM task_attempts WHERE version = ? UNION ALL "
            "SELECT id, started_at FROM tasks WHERE version = ? AND status = 'succeeded') r "
            "JOIN tasks t ON t.id = r.task_id WHERE r.started_at >= ?",
            (cut, cut, candidate, candidate, cut),
        ).fetchone()
    return {
        "tasks": {f"{status} {version}": n for status, version, n in by},
        # runs the candidate started after the abort, how many of those tasks were submitted
        # after it, and how long after it the last one started
        "candidate_runs_after_abort": int(after[0]),
        "candidate_runs_after_abort_submitted_after": int(after[1] or 0),
        "candidate_last_start_after_abort_s": None if after[2] is None else round(after[2], 3),
        "candidate_succeeded": int(ok[0]),
        "candidate_succeeded_before_abort": int(ok[1] or 0),
        "candidate_failed_attempts": int(failed[0]),
        "candidate_failed_attempts_before_abort": int(failed[1] or 0),
        "candidate_failed_tasks": int(failed[2]),
    }


def canary_case(
    work: Path, case: str, stable_agent: str, bad_agent: str, analysis: dict[str, Any], quick: bool
) -> dict[str, Any]:
    data = work / f"canary-{case}"
    data.mkdir()
    path = data / "noop.yaml"
    path.write_text(json.dumps(spec("noop", "1.0.0", stable_agent)))
    rollout = {
        "strategy": "canary",
        "steps": [{"weight": 20, "pause": "60s"}],
        "analysis": {"interval": "5s", "min_samples": 20, **analysis},
    }
    candidate = spec("noop", "2.0.0", bad_agent, rollout)
    db = data / "store.db"
    port = free_port()
    rate = 100.0 if quick else 200.0
    args = swarmstack("up", str(path), "--port", str(port), "--data-dir", str(data))
    with process(args, data / "up.log", base_env(db)):
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/ready")
        run = asyncio.run(bad_canary(base, candidate, rate, 5 if quick else 10, 10, 75))
        counts = wait_drained(db, 120)
        store = store_counts(db, "2.0.0", run["abort_at"])
    load: Load = run.pop("load")
    finished = sum(n for s, n in counts.items() if s not in ("queued", "running"))
    succeeded = sum(n for k, n in load.answers.items() if k.startswith("200 succeeded"))
    abort_s = None if run["abort_at"] is None else run["abort_at"] - run["deployed_at"]
    return {
        "case": case,
        "rate": rate,
        "analysis": rollout["analysis"],
        "deploy_to_abort_s": None if abort_s is None else round(abort_s, 2),
        "deploy_to_abort_intervals": None if abort_s is None else round(abort_s / 5.0, 2),
        "sent": load.sent,
        "finished": finished,
        "tasks_lost": load.sent - finished,
        "client_non_succeeded": load.sent - succeeded,
        "answers": dict(load.answers),
        "non_succeeded_examples": load.bad,
        "client_late_s": round(load.late_s, 2),
        "latency_p50_ms": round(pct(load.latencies, 0.5) * 1000, 1) if load.latencies else None,
        "latency_p99_ms": round(pct(load.latencies, 0.99) * 1000, 1) if load.latencies else None,
        **store,
        **{k: v for k, v in run.items() if k not in ("deployed_at", "abort_at")},
    }


def run_canary(work: Path, quick: bool) -> dict[str, Any]:
    """The error case (half the candidate's tasks fail), then the cost case (5x the cost)."""
    return {
        "errors": canary_case(work, "errors", "noop", "flaky", {"max_error_rate": 0.05}, quick),
        "cost": canary_case(
            work, "cost", "priced", "pricey", {"max_error_rate": 0.05, "max_cost_ratio": 2}, quick
        ),
    }


# --- routing ------------------------------------------------------------------------------------
def run_routing(work: Path, quick: bool) -> dict[str, Any]:
    """Submit throughput of a single-version swarm vs an identical one mid-canary at 50 %."""
    data = work / "routing"
    data.mkdir()
    paths = []
    for name in ("noop", "canaried"):
        paths.append(data / f"{name}.yaml")
        paths[-1].write_text(json.dumps(spec(name, "1.0.0", "noop")))
    db = data / "store.db"
    port = free_port()
    seconds, rounds, connections = (5, 2, 64) if quick else (6, 8, 64)
    args = swarmstack("up", *map(str, paths), "--port", str(port), "--data-dir", str(data))
    rps: dict[str, list[float]] = {"noop": [], "canaried": []}
    with process(args, data / "up.log", base_env(db)):
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/ready")
        held = {"strategy": "canary", "steps": [{"weight": 50, "pause": {}}]}
        answer = httpx.post(
            base + "/api/v1/deployments",
            json={"spec": spec("canaried", "2.0.0", "noop", held), "message": "bench: 50 %"},
            headers=AUTH,
            timeout=30,
        )
        answer.raise_for_status()
        state = httpx.get(base + "/api/v1/swarms/canaried/rollout", headers=AUTH).json()
        if state["weight"] != 50:
            raise RuntimeError(f"the candidate is not at 50 %: {state}")
        time.sleep(2)  # managers learn routes within a second
        for swarm in rps:  # warm-up
            wrk(base + "/api/v1/tasks", 2, connections, swarm)
        for i in range(rounds):
            for swarm in sorted(rps, reverse=bool(i % 2)):  # ABBA: drift cancels out
                wait_drained(db, 300)
                rps[swarm].append(wrk(base + "/api/v1/tasks", seconds, connections, swarm))
        wait_drained(db, 300)
        with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
            versions = conn.execute(
                "SELECT swarm, version, count(*) FROM tasks GROUP BY swarm, version"
            ).fetchall()
    single, canaried = statistics.median(rps["noop"]), statistics.median(rps["canaried"])
    paired = [c / n for n, c in zip(rps["noop"], rps["canaried"], strict=True)]
    extra_us = choose_cost_us()
    return {
        "wrk": {"seconds": seconds, "rounds": rounds, "connections": connections},
        "single_version_rps": [round(r, 1) for r in rps["noop"]],
        "canary_50_rps": [round(r, 1) for r in rps["canaried"]],
        "single_version_median": round(single, 1),
        "canary_50_median": round(canaried, 1),
        "canary_slower_by": round(1 - canaried / single, 4),
        # each round's pair ran back to back, so its ratio is the least disturbed by drift
        "paired_ratios": [round(r, 4) for r in paired],
        "canary_slower_by_paired_median": round(1 - statistics.median(paired), 4),
        # in-process: the routing decision itself, and its share of one submit at the rate above
        "choose_us": extra_us,
        "choose_extra_share_of_submit": round(
            (extra_us["weight_50"] - extra_us["single_version"]) * 1e-6 * single, 5
        ),
        "tasks_by_version": {f"{s}@{v}": n for s, v, n in versions},
    }


def choose_cost_us(calls: int = 200_000) -> dict[str, float]:
    """Microseconds per routing decision (`core.routing.choose`) with no candidate and with a
    candidate at 50 %, on fresh task-id-like keys."""
    from swarmstack.core.ids import new_task_id
    from swarmstack.core.routing import choose

    keys = [new_task_id() for _ in range(calls)]
    cost = {}
    for label, candidate, weight in (("single_version", None, 0), ("weight_50", "2.0.0", 50)):
        started = time.perf_counter()
        for key in keys:
            choose(key, "1.0.0", candidate, weight)
        cost[label] = round((time.perf_counter() - started) / calls * 1e6, 3)
    return cost
