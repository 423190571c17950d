"""(a) How soon an idle `up --workers 1` starts a new task, and a lone `?wait=` submit's latency.

`swarmstack up --workers 1` on SQLite (the worker in its own process, woken over a local socket),
otherwise idle. One no-op task at a time, with a pause between them so the worker is asleep when
each arrives:

- start delay: the worker's `started_at` minus the manager's `created_at`, both from the store
  (one clock: the two processes share the machine). It spans the insert and its commit, the
  wake-up signal, the worker's claim transaction;
- lone `?wait=` latency: a client's submit-to-result time for one task on an idle server
  (keep-alive connection; the client's own cost is a few microseconds).

    python bench/run.py wakeup          # 200 tasks each; --quick: 40
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.procs import KEY, Connection, running_up

PAUSE_S = 0.05  # long enough for the worker's loop to go back to sleep
GOAL_START_MS = 2.0  # issue 11: an idle `up --workers 1` starts a new task within 2 ms (p50)


def start_delays_ms(db: Path, since: float) -> list[float]:
    """`started_at - created_at` of every task created after `since`, in milliseconds."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT started_at - created_at FROM tasks WHERE created_at >= ? "
            "AND started_at IS NOT NULL ORDER BY created_at",
            (since,),
        ).fetchall()
    return [row[0] * 1000 for row in rows]


def summary_ms(values: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max of `values` (nearest rank), rounded to 0.01 ms."""
    if not values:
        raise ValueError("no samples: did any task start?")
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]

    return {
        "samples": len(ordered),
        "p50_ms": round(rank(0.50), 2),
        "p90_ms": round(rank(0.90), 2),
        "p99_ms": round(rank(0.99), 2),
        "max_ms": round(ordered[-1], 2),
    }


async def _one_at_a_time(port: int, count: int, wait: bool) -> list[float]:
    conn = Connection("127.0.0.1", port)
    path = "/api/v1/tasks?wait=30" if wait else "/api/v1/tasks"
    latencies: list[float] = []
    try:
        for i in range(count):
            body = json.dumps({"swarm": "noop", "input": {"n": i}}).encode()
            request = (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            began = time.perf_counter()
            status, answer = await conn.post(request)
            elapsed = time.perf_counter() - began
            if status not in (200, 202) or (wait and b'"succeeded"' not in answer):
                raise RuntimeError(f"submit failed: {status} {answer[:200]!r}")
            latencies.append(elapsed * 1000)
            await asyncio.sleep(PAUSE_S)
    finally:
        conn.close()
    return latencies


def run_wakeup(work: Path, quick: bool) -> dict[str, Any]:
    """Start delays of lone tasks on an idle `up --workers 1`, and lone `?wait=` latencies."""
    count = 40 if quick else 200
    with running_up(work / "wakeup", ["--workers", "1"]) as (base, db):
        port = int(base.rsplit(":", 1)[1])
        asyncio.run(_one_at_a_time(port, 10, wait=True))  # warm-up
        since = time.time()
        asyncio.run(_one_at_a_time(port, count, wait=False))
        time.sleep(1)
        delays = start_delays_ms(db, since)
        lone = asyncio.run(_one_at_a_time(port, count, wait=True))
    start = summary_ms(delays)
    return {
        "tasks": count,
        "pause_s": PAUSE_S,
        "start_delay": start,
        "lone_wait_latency": summary_ms(lone),
        "goal_start_p50_ms": GOAL_START_MS,
        "goal_met": start["p50_ms"] <= GOAL_START_MS,
    }
