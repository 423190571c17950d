"""The SAQ peer of the Python-queues benchmark: a no-op job on Redis.

Runs only inside bench/.venv-saq (created by bench/peers.py); SAQ is not a dependency of
swarmstack.

    python -m bench.saq_app worker REDIS_URL      # one worker process
    python -m bench.saq_app load REDIS_URL N      # enqueue N jobs, then await every result

The client learns that jobs finished from SAQ's own job-status notifications (`Queue.listen`,
Redis pub/sub, subscribed before the first enqueue so none is missed), then reads every
job's result in one round trip (`Queue.jobs`).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

from saq import Queue, Worker
from saq.job import TERMINAL_STATUSES, Status

LANES = 64  # enqueues in flight at once, as the swarmstack client keeps 64 requests in flight
# jobs one worker runs at once, each a coroutine dequeuing on its own (SAQ's default: 10);
# of 10, 100 and 1,000, 100 was fastest
CONCURRENCY = int(os.environ.get("BENCH_SAQ_CONCURRENCY", "100"))
NAME = "bench"


async def noop(ctx: dict[str, Any], *, data: Any) -> Any:
    """Return the input, like swarmstack's bench.agents:noop."""
    return data


def worker(url: str) -> None:
    async def run() -> None:
        await Worker(Queue.from_url(url, name=NAME), [noop], concurrency=CONCURRENCY).start()

    asyncio.run(run())


async def load(url: str, count: int) -> None:
    queue = Queue.from_url(url, name=NAME)
    await queue.connect()
    assert await queue.apply("noop", data={"warm": True}, timeout=60, poll_interval=0.02)
    keys = [f"bench-{i}" for i in range(count)]
    finished: set[str] = set()

    def seen(key: str, status: Status) -> bool:
        if status in TERMINAL_STATUSES:
            finished.add(key)
        return len(finished) == count

    listener = asyncio.create_task(queue.listen(keys, seen, timeout=600))
    await asyncio.sleep(0.5)  # let the subscription land before the clock starts

    async def submit(start: int) -> None:
        for i in range(start, count, LANES):
            await queue.enqueue("noop", key=keys[i], data={"n": i})

    started = time.perf_counter()
    await asyncio.gather(*(submit(j) for j in range(LANES)))
    submitted = time.perf_counter()
    await listener
    jobs = await queue.jobs(keys)
    done = time.perf_counter()
    await queue.disconnect()
    assert all(j is not None and j.status == Status.COMPLETE for j in jobs)
    assert [j.result["n"] for j in jobs if j is not None] == list(range(count))
    print(json.dumps({"tasks": count, "submit_s": submitted - started, "total_s": done - started}))


def main() -> None:
    command, url = sys.argv[1], sys.argv[2]
    if command == "worker":
        worker(url)
    else:
        asyncio.run(load(url, int(sys.argv[3])))


if __name__ == "__main__":
    main()
