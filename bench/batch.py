"""(b) Batch submit and one worker's drain, on SQLite.

Accept: a manager alone (`serve --mode manager`, so no worker competes for the cores) takes
`POST /api/v1/tasks/batch` of 1,000 no-op tasks each, from 4 keep-alive connections at once;
the rate is tasks stored per second of wall time, every answer checked for `"refused":0`.
Drain: then one worker process (`serve --mode worker`) runs the backlog; the rate is tasks
finished per second between the first start and the last finish (from the store's own times).

    python bench/run.py batch          # 40,000 tasks; --quick: 8,000
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from bench.procs import (
    KEY,
    NOOP_SPEC,
    Connection,
    base_env,
    free_port,
    process,
    span,
    swarmstack,
    task_counts,
    wait_http,
)

BATCH = 1000
CONNECTIONS = 4


def run_batch(work: Path, quick: bool) -> dict[str, Any]:
    """Accept rate of batch submits, then one worker process's drain rate."""
    data = work / "batch"
    data.mkdir()
    spec = data / "noop.yaml"
    spec.write_text(NOOP_SPEC)
    db = data / "store.db"
    batches = 8 if quick else 40
    env = {**base_env(db), "SWARMSTACK_SERVER__SUBMIT_BATCH_SIZE": str(BATCH)}
    port = free_port()
    manager = swarmstack("serve", str(spec), "--mode", "manager", "--port", str(port))
    with process(manager, data / "manager.log", env):
        wait_http(f"http://127.0.0.1:{port}/health")
        accepted, seconds = asyncio.run(_submit(port, batches))
    began = time.monotonic()
    worker = swarmstack("serve", str(spec), "--mode", "worker", "--port", str(free_port()))
    with process(worker, data / "worker.log", env):
        while time.monotonic() - began < 600:
            counts = task_counts(db)
            if counts.get("queued", 0) + counts.get("running", 0) == 0:
                break
            time.sleep(0.2)
    done, drain_s = span(db, "started_at")
    return {
        "tasks": accepted,
        "batch_size": BATCH,
        "connections": CONNECTIONS,
        "accept_seconds": round(seconds, 2),
        "accepted_tasks_per_s": round(accepted / seconds),
        "drained": done,  # the warm-up batch included
        "warm_up_tasks": BATCH,
        "drain_seconds": round(drain_s, 2),
        "drain_tasks_per_s": round(done / drain_s),
    }


async def _submit(port: int, batches: int) -> tuple[int, float]:
    body = json.dumps(
        {"tasks": [{"swarm": "noop", "input": {"n": n}} for n in range(BATCH)]}
    ).encode()
    request = (
        f"POST /api/v1/tasks/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    pool = [Connection("127.0.0.1", port) for _ in range(CONNECTIONS)]
    left = list(range(batches))

    async def send(conn: Connection) -> int:
        stored = 0
        while left:
            left.pop()
            status, answer = await conn.post(request)
            if status != 200 or b'"refused":0' not in answer:
                raise RuntimeError(f"a batch was refused: {status} {answer[:300]!r}")
            stored += BATCH
        return stored

    await pool[0].post(request)  # warm-up: connections, caches, the first commit
    began = time.perf_counter()
    stored = sum(await asyncio.gather(*(send(conn) for conn in pool)))
    seconds = time.perf_counter() - began
    for conn in pool:
        conn.close()
    return stored, seconds
