"""The arq peer of the Python-queues benchmark: a no-op job on Redis.

Runs only inside bench/.venv-arq (created by bench/peers.py); arq is not a dependency of
swarmstack.

    python -m bench.arq_app worker REDIS_URL      # one worker process
    python -m bench.arq_app load REDIS_URL N      # enqueue N jobs, then await every result
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker

LANES = 64  # calls in flight at once, as the swarmstack client keeps 64 requests in flight
# jobs one worker runs at once (arq's default: 10); of 10, 100, 300 and 1,000, 100 was fastest
MAX_JOBS = int(os.environ.get("BENCH_ARQ_MAX_JOBS", "100"))
# seconds between the worker's reads of the queue (arq's default: 0.5)
POLL_DELAY = float(os.environ.get("BENCH_ARQ_POLL_DELAY", "0.05"))
RESULT_POLL = 0.02  # seconds between the client's reads of a result (as the swarmstack client)


async def noop(ctx: dict[str, Any], data: Any) -> Any:
    """Return the input, like swarmstack's bench.agents:noop."""
    return data


def worker(url: str) -> None:
    Worker(
        functions=[noop],
        redis_settings=RedisSettings.from_dsn(url),
        max_jobs=MAX_JOBS,
        poll_delay=POLL_DELAY,
        keep_result=600,
    ).run()


async def load(url: str, count: int) -> None:
    redis = await create_pool(RedisSettings.from_dsn(url))
    warm = await redis.enqueue_job("noop", {"warm": True})
    assert warm is not None
    await warm.result(timeout=60, poll_delay=RESULT_POLL)
    jobs: list[Any] = [None] * count
    results: list[Any] = [None] * count

    async def submit(start: int) -> None:
        for i in range(start, count, LANES):
            jobs[i] = await redis.enqueue_job("noop", {"n": i})

    async def fetch(start: int) -> None:
        for i in range(start, count, LANES):
            results[i] = await jobs[i].result(timeout=600, poll_delay=RESULT_POLL)

    started = time.perf_counter()
    await asyncio.gather(*(submit(j) for j in range(LANES)))
    submitted = time.perf_counter()
    await asyncio.gather(*(fetch(j) for j in range(LANES)))
    done = time.perf_counter()
    await redis.aclose()
    assert [r["n"] for r in results] == list(range(count))
    print(json.dumps({"tasks": count, "submit_s": submitted - started, "total_s": done - started}))


def main() -> None:
    command, url = sys.argv[1], sys.argv[2]
    if command == "worker":
        worker(url)
    else:
        asyncio.run(load(url, int(sys.argv[3])))


if __name__ == "__main__":
    main()
