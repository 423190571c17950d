"""(h) What rate limits cost on the submit path: limits off vs on, in-process and on Redis.

    python bench/run.py limits

Four `swarmstack up` processes (SQLite, one no-op swarm) run side by side:
- `off`: rate limits disabled (`rate_limits.enabled = false`);
- `local`: limits on, buckets in the process;
- `redis off`: Redis configured (signals, result cache), limits disabled;
- `redis`: Redis configured, limits on, buckets on Redis (one Lua script per check).
Each Redis pair has a redis-server of its own. Limits are set far above the load, so every
request pays for the checks and none is refused. Two principals submit: the admin key (a rate
check only: admins have no queued cap) and a submitter key with a cap of 10,000,000 queued
tasks (a rate check and the queued-task estimate, which reads the store about once a second).
wrk runs against each process in turn, the order reversed every round, the queues drained
before each run. Quoted: the median of the paired ratios on/off (same round, back to back).

The machine is shared, so the wrk runs are noisy; `check_us` measures the checks themselves in
this process (`Limiter.check_principal`, sequentially): microseconds per check with in-process
buckets and with a Redis round trip, and what that is as a share of one submit at the
measured rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.procs import (
    NOOP_SPEC,
    base_env,
    free_port,
    process,
    swarmstack,
    wait_drained,
    wait_http,
    wrk,
)

SUBMITTER_KEY = "ssk_bench_submitter_not_a_secret"
HIGH = {
    "SWARMSTACK_RATE_LIMITS__ADMIN_RATE": "1000000",
    "SWARMSTACK_RATE_LIMITS__ADMIN_BURST": "1000000",
    "SWARMSTACK_RATE_LIMITS__SUBMITTER_RATE": "1000000",
    "SWARMSTACK_RATE_LIMITS__SUBMITTER_BURST": "1000000",
    "SWARMSTACK_RATE_LIMITS__SUBMITTER_MAX_QUEUED": "10000000",
}
CONFIGS = ("off", "local", "redis off", "redis")
PAIRS = {"local": "off", "redis": "redis off"}


@contextlib.contextmanager
def redis_server(folder: Path) -> Any:
    """A redis-server of its own on a free port; yields its URL."""
    port = free_port()
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)]
    with process(args, folder / "redis.log"):
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True
            ).stdout.strip()
            != b"PONG"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"


async def add_submitter(db: Path) -> None:
    """The submitter key, in the store `up` created."""
    from swarmstack.store import open_store

    store = await open_store(f"sqlite+aiosqlite:///{db}")
    try:
        await store.keys.add(SUBMITTER_KEY, "bench-submitter", "submitter", time.time())
    finally:
        await store.close()


def env_of(config: str, db: Path, redis_url: str | None) -> dict[str, str]:
    env = {**base_env(db), **HIGH}
    env["SWARMSTACK_RATE_LIMITS__ENABLED"] = "false" if config.endswith("off") else "true"
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return env


def run_limits(work: Path, quick: bool) -> dict[str, Any]:
    seconds, rounds, connections = (3, 2, 64) if quick else (5, 8, 64)
    rps: dict[str, dict[str, list[float]]] = {
        who: {c: [] for c in CONFIGS} for who in ("admin", "submitter")
    }
    with contextlib.ExitStack() as stack:
        bases, dbs = {}, {}
        for config in CONFIGS:
            data = work / f"limits-{config.replace(' ', '-')}"
            data.mkdir()
            (data / "noop.yaml").write_text(NOOP_SPEC)
            redis = stack.enter_context(redis_server(data)) if "redis" in config else None
            port = free_port()
            args = swarmstack("up", str(data / "noop.yaml"), "--port", str(port))
            args += ["--data-dir", str(data)]
            dbs[config] = data / "store.db"
            stack.enter_context(process(args, data / "up.log", env_of(config, dbs[config], redis)))
            bases[config] = f"http://127.0.0.1:{port}"
        for config in CONFIGS:
            wait_http(bases[config] + "/ready")
            asyncio.run(add_submitter(dbs[config]))
            wrk(bases[config] + "/api/v1/tasks", 2, connections)  # warm-up
        for i in range(rounds):
            for config in CONFIGS if i % 2 == 0 else reversed(CONFIGS):
                for who, key in (("admin", None), ("submitter", SUBMITTER_KEY)):
                    wait_drained(dbs[config], 300)
                    url = bases[config] + "/api/v1/tasks"
                    rps[who][config].append(wrk(url, seconds, connections, key=key))
        redis_url = stack.enter_context(redis_server(work))
        cost = check_cost_us(redis_url, 20_000 if quick else 200_000)
    result = summary(rps, seconds, rounds, connections)
    rate = result["admin"]["off_median"]
    result["check_us"] = cost
    result["check_share_of_submit"] = {k: round(v * 1e-6 * rate, 4) for k, v in cost.items()}
    return result


def check_cost_us(redis_url: str, calls: int) -> dict[str, float]:
    """Microseconds per `Limiter.check_principal` with each bucket store."""
    from starlette.requests import Request

    from swarmstack.metrics import Metrics
    from swarmstack.security.roles import Principal
    from swarmstack.server.buckets import Buckets, LocalBuckets, RedisBuckets
    from swarmstack.server.limits import Limiter
    from swarmstack.settings import Settings

    settings = Settings(rate_limits={"admin_rate": 1e9, "admin_burst": 1_000_000_000})
    who = Principal("k_bench", "bench", "admin")

    async def per_check(buckets: Buckets, n: int) -> float:
        limiter = Limiter(lambda: settings, buckets, Metrics())
        scope = {"type": "http", "headers": [], "client": ("192.0.2.1", 1)}
        await limiter.check_principal(Request({**scope, "state": {}}), who)  # connect, load
        started = time.perf_counter()
        for _ in range(n):
            await limiter.check_principal(Request({**scope, "state": {}}), who)
        elapsed = time.perf_counter() - started
        await buckets.aclose()
        return round(elapsed / n * 1e6, 2)

    return {
        "local": asyncio.run(per_check(LocalBuckets(), calls)),
        "redis": asyncio.run(per_check(RedisBuckets(redis_url, Metrics()), calls // 10)),
    }


def summary(
    rps: dict[str, dict[str, list[float]]], seconds: int, rounds: int, connections: int
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "wrk": {"seconds": seconds, "rounds": rounds, "connections": connections}
    }
    for who, runs in rps.items():
        table: dict[str, Any] = {f"{c}_rps": [round(r, 1) for r in runs[c]] for c in CONFIGS}
        table |= {f"{c}_median": round(statistics.median(runs[c]), 1) for c in CONFIGS}
        for on, off in PAIRS.items():
            paired = [a / b for a, b in zip(runs[on], runs[off], strict=True)]
            table[f"{on}_vs_{off.replace(' ', '_')}_paired_median"] = round(
                statistics.median(paired), 4
            )
        paired = [a / b for a, b in zip(runs["redis"], runs["off"], strict=True)]
        table["redis_vs_off_paired_median"] = round(statistics.median(paired), 4)
        result[who] = table
    return result
