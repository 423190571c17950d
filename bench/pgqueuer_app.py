"""The PgQueuer peer of the scale-out benchmark: a no-op job on the same PostgreSQL.

Runs only inside bench/.venv-pgqueuer (created by bench/peers.py); PgQueuer is not a
dependency of swarmstack.

    python -m bench.pgqueuer_app install DSN      # PgQueuer's tables in a fresh database
    python -m bench.pgqueuer_app worker DSN       # one consumer process (run two)
    python -m bench.pgqueuer_app load DSN N       # enqueue N jobs, wait until every one is done

PgQueuer stores no results: a finished job is deleted from its queue and logged with its
terminal status. "Done" is therefore what PgQueuer's own `CompletionWatcher` reports (the log's
status, woken by LISTEN/NOTIFY), and every one of the N jobs must end `successful`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import asyncpg
from pgqueuer import Queries, QueueManager
from pgqueuer.core.completion import CompletionWatcher
from pgqueuer.db import AsyncpgDriver, AsyncpgPoolDriver
from pgqueuer.models import Job

LANES = 64  # enqueues in flight at once, as the swarmstack client keeps 64 requests in flight
POOL = 10  # producer connections
# jobs a consumer dequeues per round trip (PgQueuer's default: 10; 10, 100 and 500 measured
# the same: the producer's enqueues set the pace)
BATCH = int(os.environ.get("BENCH_PGQUEUER_BATCH", "100"))


async def install(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await Queries(AsyncpgDriver(conn)).install()
    finally:
        await conn.close()


async def worker(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    qm = QueueManager(Queries(AsyncpgDriver(conn)))

    @qm.entrypoint("noop")
    async def noop(job: Job) -> None:
        """Nothing to do: the payload is the input, and PgQueuer keeps no result."""

    await qm.run(batch_size=BATCH)


async def enqueue_all(queries: Queries, count: int) -> list[int]:
    ids: list[int] = [0] * count

    async def lane(start: int) -> None:
        for i in range(start, count, LANES):
            payload = json.dumps({"n": i}).encode()
            ids[i] = (await queries.enqueue("noop", payload))[0]

    await asyncio.gather(*(lane(j) for j in range(LANES)))
    return ids


async def load(dsn: str, count: int) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=POOL, max_size=POOL)
    driver = AsyncpgPoolDriver(pool)
    queries = Queries(driver)
    async with CompletionWatcher(driver, queries=queries) as watcher:
        warm = await queries.enqueue("noop", b'{"warm": true}')
        await asyncio.wait_for(watcher.wait_for(warm[0]), 60)
        started = time.perf_counter()
        ids = await enqueue_all(queries, count)
        submitted = time.perf_counter()
        statuses = await asyncio.wait_for(asyncio.gather(*(watcher.wait_for(i) for i in ids)), 600)
        done = time.perf_counter()
    pool.terminate()  # the watcher's LISTEN connection is never given back to the pool
    assert statuses == ["successful"] * count, {s: statuses.count(s) for s in set(statuses)}
    print(json.dumps({"tasks": count, "submit_s": submitted - started, "total_s": done - started}))


def main() -> None:
    command, dsn = sys.argv[1], sys.argv[2]
    if command == "install":
        asyncio.run(install(dsn))
    elif command == "worker":
        asyncio.run(worker(dsn))
    else:
        asyncio.run(load(dsn, int(sys.argv[3])))


if __name__ == "__main__":
    main()
