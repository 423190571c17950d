"""swarmstack benchmarks, each measured next to its peer in the same run.

    python bench/run.py all            # every scenario at the documented sizes
    python bench/run.py throughput     # (a) no-op tasks through HTTP vs a bare Starlette endpoint
    python bench/run.py drain          # (b) 20,000 pre-queued 0.5 s tasks, 10,000 in flight
    python bench/run.py llm            # (c) the same with LLM agents against a 0.5 s local server
    python bench/run.py llmclient      # (c) CPU per LLM call: ChatClient, httpx, aiohttp
    python bench/run.py llmmemory      # (c) what 10,000 LLM tasks in flight hold in a worker
    python bench/run.py scale          # (d) PostgreSQL, 1 manager + 2 workers, vs Celery on Redis
    python bench/run.py soak --backend sqlite --duration 180 --rate 100   # (e) see bench/soak.py
    python bench/run.py batch          # (b) batch submit and one worker's drain, see bench/batch.py
    python bench/run.py canary         # (f) a bad canary under steady load, see bench/rollouts.py
    python bench/run.py routing        # (g) submit throughput: one version vs a 50 % canary
    python bench/run.py limits         # (h) submit throughput: rate limits off vs on (local, Redis)
    python bench/run.py encryption     # (i) submit throughput: encryption at rest on vs off
    python bench/run.py ... --quick    # smaller sizes, for a smoke run

Results print as a table and are written to bench/results/<scenario>.json. docs/benchmarks.md
holds the figures and how they were taken. Load comes from `wrk` (Debian package `wrk`) and, for
paced latency, from an asyncio httpx client in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
KEY = "ssk_bench_key_not_a_secret"
BENCH_ENCRYPTION_KEY = "YmVuY2gtb25seS1rZXktbm90LWEtc2VjcmV0LTAxMjM="  # 32 bytes, base64
NOOP_SPEC = """version: 1
name: noop
agents:
  noop: {kind: python, entrypoint: "bench.agents:noop"}
runtime: {max_concurrent: 1000, timeout: 30s, retry_attempts: 0}
"""
NAP_SPEC = """version: 1
name: nap
agents:
  nap: {kind: python, entrypoint: "bench.agents:nap"}
runtime: {max_concurrent: %(in_flight)d, timeout: 600s, retry_attempts: 0, lease: 120s}
"""
LLM_SPEC = """version: 1
name: nap
agents:
  think:
    kind: llm
    model: bench-model
    base_url: "%(base_url)s"
    api_key: "${secret:BENCH_LLM_KEY}"
    system_prompt: "Answer briefly. [[slow:0.5]]"
    stream: false
    timeout: 600s
runtime: {max_concurrent: %(in_flight)d, timeout: 600s, retry_attempts: 0, lease: 120s}
"""


# --- processes ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def process(args: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[Any]:
    """A child process (cwd = the repository) that is stopped when the block ends."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            args, cwd=REPO, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_http(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f}s")


def swarmstack(*args: str) -> list[str]:
    return [sys.executable, "-m", "swarmstack", *args]


def base_env(db: Path) -> dict[str, str]:
    return {
        "SWARMSTACK_STORE__URL": f"sqlite+aiosqlite:///{db}",
        "SWARMSTACK_SECURITY__ADMIN_KEY": KEY,
        # task data encrypted at rest, as `up` does by default (`serve` needs the key given)
        "SWARMSTACK_SECURITY__ENCRYPTION_KEY": BENCH_ENCRYPTION_KEY,
        # wrk submits as fast as it can with one key; (h) measures what limits cost
        "SWARMSTACK_RATE_LIMITS__ENABLED": "false",
        "PYTHONPATH": str(REPO),
    }


# --- measuring ----------------------------------------------------------------------------------
def wrk(
    url: str, seconds: int, connections: int, swarm: str = "noop", key: str | None = None
) -> float:
    """Requests/s that wrk reaches POSTing a no-op task to `swarm` (with `key`, else KEY)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", "bench/submit.lua", url],
        cwd=REPO,
        env={**os.environ, "BENCH_KEY": key or KEY, "BENCH_SWARM": swarm},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"wrk saw {non2xx.group(1)} failed requests:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{out}")
    return float(match.group(1))


def task_counts(db: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM tasks GROUP BY status").fetchall())


def wait_drained(db: Path, timeout_s: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        counts = task_counts(db)
        if counts.get("queued", 0) + counts.get("running", 0) == 0:
            return counts
        time.sleep(0.2)
    raise RuntimeError(f"tasks not drained within {timeout_s:.0f}s: {task_counts(db)}")


def span(db: Path, start_column: str, since: float = 0.0) -> tuple[int, float]:
    """(tasks created after `since` that succeeded, seconds from the first `start_column` to
    the last finish)."""
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        n, first, last = conn.execute(
            f"SELECT count(*), min({start_column}), max(finished_at) FROM tasks "
            "WHERE status = 'succeeded' AND created_at >= ?",
            (since,),
        ).fetchone()
    return int(n), float(last - first)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Connection:
    """A keep-alive HTTP/1.1 connection speaking just enough HTTP for the paced client.

    httpx spends about a millisecond of CPU per request, so at a few hundred requests/s the
    client, not the server, would set the latency; this costs a few microseconds.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.lock = asyncio.Lock()

    async def post(self, request: bytes) -> tuple[int, bytes]:
        async with self.lock:
            try:
                return await self._exchange(request)
            except (asyncio.IncompleteReadError, ConnectionError):
                self.reader = None  # the server closed an idle keep-alive connection
                return await self._exchange(request)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"(?i)content-length: *(\d+)", head)
        if length is None:
            raise RuntimeError(f"no Content-Length in {head[:200]!r}")
        return status, await self.reader.readexactly(int(length.group(1)))


async def paced(
    url: str,
    rate: float,
    seconds: float,
    connections: int = 256,
    failures: list[bytes] | None = None,
) -> list[float]:
    """Submit at a fixed `rate` with `?wait=`; the submit-to-result latencies, each measured
    from when the request was due (so a slow server cannot hide queueing in the client).
    A failed submit raises RuntimeError at the end, unless `failures` collects them."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"swarm": "noop", "input": {"n": 1}}).encode()
    request = (
        f"POST /api/v1/tasks?wait=30 HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    pool = [Connection(host, int(port)) for _ in range(connections)]
    latencies: list[float] = []
    failed: list[bytes] = [] if failures is None else failures

    async def one(conn: Connection, due: float) -> None:
        status, answer = await conn.post(request)
        if status != 200 or b'"succeeded"' not in answer:
            failed.append(answer[:200])
            return
        latencies.append(time.perf_counter() - due)

    pending: list[asyncio.Task[None]] = []
    began = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = began + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(one(pool[i % connections], due)))
    await asyncio.gather(*pending)
    for conn in pool:
        conn.close()
    if failed and failures is None:
        raise RuntimeError(f"{len(failed)} paced submits failed, e.g. {failed[0]!r}")
    return latencies


# --- scenarios ----------------------------------------------------------------------------------
@dataclass
class Throughput:
    """(a) no-op tasks end to end through HTTP, next to a bare Starlette endpoint."""

    connections: int
    seconds: int
    bare_starlette_rps: float = 0.0
    rows: list[dict[str, Any]] = field(default_factory=list)


def bench_bare(work: Path, cfg: Throughput) -> float:
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port)]
    args += ["--log-level", "warning", "--no-access-log"]
    with process(args, work / "bare.log", {"PYTHONPATH": str(REPO)}):
        url = f"http://127.0.0.1:{port}/api/v1/tasks"
        wait_http(url.rsplit("/api", 1)[0] + "/")
        wrk(url, 2, cfg.connections)  # warm-up
        return wrk(url, cfg.seconds, cfg.connections)


def bench_swarmstack(work: Path, cfg: Throughput, label: str, extra: list[str]) -> dict[str, Any]:
    data = work / label.replace(" ", "-")
    data.mkdir()
    spec = data / "noop.yaml"
    spec.write_text(NOOP_SPEC)
    db = data / "store.db"
    port = free_port()
    args = swarmstack("up", str(spec), "--port", str(port), "--data-dir", str(data), *extra)
    with process(args, data / "up.log", base_env(db)):
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/ready")
        wrk(base + "/api/v1/tasks", 2, cfg.connections)  # warm-up
        wait_drained(db, 120)
        since = time.time()
        submit_rps = wrk(base + "/api/v1/tasks", cfg.seconds, cfg.connections)
        counts = wait_drained(db, 300)
        done, seconds = span(db, "created_at", since)
        e2e = done / seconds
        ladder = {}
        for share in (0.1, 0.25, 0.5):
            lat = asyncio.run(paced(base, e2e * share, cfg.seconds))
            ladder[f"{round(share * 100)}%"] = {
                "rate": round(e2e * share, 1),
                "p50_ms": round(pct(lat, 0.50) * 1000, 1),
                "p99_ms": round(pct(lat, 0.99) * 1000, 1),
            }
        latencies = lat
    return {
        "mode": label,
        "submit_rps": round(submit_rps, 1),
        "tasks_succeeded": done,
        "tasks_failed": sum(v for k, v in counts.items() if k != "succeeded"),
        "e2e_tasks_per_s": round(e2e, 1),
        "ratio_to_bare": round(e2e / cfg.bare_starlette_rps, 4),
        "half_load_rate": round(e2e / 2, 1),
        "latency_p50_ms": round(pct(latencies, 0.50) * 1000, 1),
        "latency_p99_ms": round(pct(latencies, 0.99) * 1000, 1),
        "latency_mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        "latency_samples": len(latencies),
        "latency_by_load": ladder,
    }


def run_throughput(work: Path, quick: bool) -> dict[str, Any]:
    cfg = Throughput(connections=64, seconds=5 if quick else 15)
    cfg.bare_starlette_rps = bench_bare(work, cfg)
    cfg.rows.append(bench_swarmstack(work, cfg, "up (one process)", []))
    cfg.rows.append(bench_swarmstack(work, cfg, "up --workers 1", ["--workers", "1"]))
    return asdict(cfg)


@dataclass
class Drain:
    """(b)/(c): pre-queued 0.5 s tasks drained by one worker process."""

    agent: str
    tasks: int
    in_flight_limit: int
    peak_in_flight: int = 0
    drain_seconds: float = 0.0
    drain_tasks_per_s: float = 0.0
    ideal_tasks_per_s: float = 0.0
    fraction_of_ideal: float = 0.0
    failed: int = 0
    worker_rss_mb: float = 0.0
    worker_cpu_ms_per_task: float = 0.0


async def prequeue(db: Path, swarm: str, count: int) -> None:
    """Store `count` tasks directly (one transaction per 1,000), as a backlog would be."""
    from swarmstack.core.ids import new_task_id
    from swarmstack.core.records import NewTask
    from swarmstack.store import open_store

    store = await open_store(f"sqlite+aiosqlite:///{db}")
    try:
        now = time.time()
        for start in range(0, count, 1000):
            batch = [
                NewTask(new_task_id(), swarm, {"n": i}, 5, 1, 600.0, "bench", now)
                for i in range(start, min(count, start + 1000))
            ]
            await store.tasks.submit_many(batch)
    finally:
        await store.close()


def in_flight(metrics_url: str) -> int:
    with contextlib.suppress(httpx.HTTPError):
        text = httpx.get(metrics_url, timeout=2).text
        return int(
            sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("swarmstack_tasks_in_flight{")
            )
        )
    return 0


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def run_drain(work: Path, result: Drain, spec_text: str, env: dict[str, str]) -> dict[str, Any]:
    data = work / f"drain-{result.agent}"
    data.mkdir()
    spec = data / "nap.yaml"
    spec.write_text(spec_text)
    db = data / "store.db"
    asyncio.run(prequeue(db, "nap", result.tasks))
    port = free_port()
    args = swarmstack("serve", str(spec), "--mode", "worker", "--port", str(port))
    env = {
        **base_env(db),
        **env,
        "SWARMSTACK_WORKER__CLAIM_BATCH": os.environ.get("BENCH_BATCH", "5000"),
    }
    with process(args, data / "worker.log", env) as proc:
        metrics = f"http://127.0.0.1:{port}/metrics"
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            result.peak_in_flight = max(result.peak_in_flight, in_flight(metrics))
            result.worker_rss_mb = max(result.worker_rss_mb, rss_mb(proc.pid))
            counts = task_counts(db)
            if counts.get("queued", 0) + counts.get("running", 0) == 0:
                break
            time.sleep(0.1)
        result.worker_cpu_ms_per_task = round(cpu_s(proc.pid) * 1000 / result.tasks, 3)
    counts = wait_drained(db, 10)
    done, seconds = span(db, "started_at")
    result.failed = result.tasks - done
    result.drain_seconds = round(seconds, 2)
    result.drain_tasks_per_s = round(done / seconds, 1)
    result.ideal_tasks_per_s = round(min(result.tasks, result.in_flight_limit) / 0.5, 1)
    result.fraction_of_ideal = round(result.drain_tasks_per_s / result.ideal_tasks_per_s, 4)
    result.worker_rss_mb = round(result.worker_rss_mb, 1)
    return asdict(result)


def run_llm(work: Path, tasks: int, limit: int) -> dict[str, Any]:
    port = free_port()
    args = [sys.executable, "-m", "swarmstack.testing.fake_llm", "--port", str(port)]
    with process(args, work / "fake-llm.log"):
        base_url = f"http://127.0.0.1:{port}/v1"
        wait_http(base_url + "/models")
        spec = LLM_SPEC % {"base_url": base_url, "in_flight": limit}
        return run_drain(work, Drain("llm", tasks, limit), spec, {"BENCH_LLM_KEY": "fake"})


# --- scale-out: PostgreSQL vs Celery ------------------------------------------------------------
CELERY_PINS = ["celery[redis]==5.5.3"]


def celery_python() -> Path:
    """bench/.venv-celery with Celery installed (created once)."""
    venv = REPO / "bench" / ".venv-celery"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *CELERY_PINS], check=True)
    return python


async def submit_then_fetch(base: str, count: int, connections: int = 64) -> float:
    """Seconds to submit `count` no-op tasks over HTTP, then fetch every result (the same
    shape as Celery's `delay()` then `get()`), on cheap keep-alive connections."""
    host, port = base.removeprefix("http://").split(":")
    pool = [Connection(host, int(port)) for _ in range(connections)]
    auth = f"Authorization: Bearer {KEY}\r\nHost: {host}\r\n"

    def post(i: int) -> bytes:
        body = json.dumps({"swarm": "noop", "input": {"n": i}}).encode()
        head = f"POST /api/v1/tasks HTTP/1.1\r\n{auth}Content-Type: application/json\r\n"
        return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body

    async def submit(i: int) -> str:
        status, answer = await pool[i % connections].post(post(i))
        assert status == 202, answer
        return str(json.loads(answer)["id"])

    async def fetch(i: int, task_id: str) -> Any:
        get = f"GET /api/v1/tasks/{task_id} HTTP/1.1\r\n{auth}\r\n".encode()
        while True:
            status, answer = await pool[i % connections].post(get)
            assert status == 200, answer
            task = json.loads(answer)
            if task["status"] == "succeeded":
                return task["result"]
            await asyncio.sleep(0.02)

    started = time.perf_counter()
    ids = await asyncio.gather(*(submit(i) for i in range(count)))
    results = await asyncio.gather(*(fetch(i, t) for i, t in enumerate(ids)))
    elapsed = time.perf_counter() - started
    for conn in pool:
        conn.close()
    assert [r["n"] for r in results] == list(range(count))
    return elapsed


def run_scale(work: Path, tasks: int) -> dict[str, Any]:
    """One manager and two worker processes on PostgreSQL vs Celery (two prefork processes)."""
    import asyncpg

    name = f"swarmstack_bench_{os.getpid()}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        swarm_s = run_swarmstack_pg(
            work, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", tasks
        )
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    celery_s = run_celery(work, tasks)
    ours, theirs = tasks / swarm_s, tasks / celery_s
    return {
        "tasks": tasks,
        "swarmstack_pg_tasks_per_s": round(ours, 1),
        "celery_redis_tasks_per_s": round(theirs, 1),
        "ratio": round(ours / theirs, 3),
    }


def run_swarmstack_pg(work: Path, url: str, tasks: int) -> float:
    data = work / "scale"
    data.mkdir()
    spec = data / "noop.yaml"
    spec.write_text(NOOP_SPEC)
    env = {**base_env(data / "unused.db"), "SWARMSTACK_STORE__URL": url}
    port = free_port()
    manager = swarmstack("serve", str(spec), "--mode", "manager", "--port", str(port))
    worker = swarmstack("serve", str(spec), "--mode", "worker", "--no-http")
    with contextlib.ExitStack() as stack:
        stack.enter_context(process(manager, data / "manager.log", env))
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/health")
        for i in range(2):
            stack.enter_context(process(worker, data / f"worker{i}.log", env))
        asyncio.run(submit_then_fetch(base, 200))  # warm-up
        return asyncio.run(submit_then_fetch(base, tasks))


def run_celery(work: Path, tasks: int) -> float:
    python = celery_python()
    env = {"PYTHONPATH": str(REPO), "BENCH_CELERY_REDIS": "redis://127.0.0.1:6379/14"}
    subprocess.run(["redis-cli", "-n", "14", "FLUSHDB"], check=True, capture_output=True)
    worker = [str(python), "-m", "celery", "-A", "bench.celery_app", "worker", "--pool=prefork"]
    worker += ["--concurrency=2", "--loglevel=WARNING", "--without-heartbeat", "--without-gossip"]
    with process(worker, work / "celery-worker.log", env):
        out = subprocess.run(
            [str(python), "-m", "bench.celery_load", str(tasks)],
            cwd=REPO,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return float(json.loads(out.strip().splitlines()[-1])["total_s"])


# --- main ---------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenario",
        choices=[
            "all",
            "throughput",
            "drain",
            "llm",
            "llmclient",
            "llmmemory",
            "scale",
            "soak",
            "canary",
            "routing",
            "limits",
            "encryption",
            "batch",
        ],
        nargs="?",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--duration", type=int, default=180, help="soak: seconds")
    parser.add_argument("--rate", type=float, default=100.0, help="soak: tasks per second")
    parser.add_argument("--window", type=int, default=15, help="soak: seconds per sample")
    parser.add_argument("--retention", type=int, default=60, help="soak: seconds tasks are kept")
    parser.add_argument("--trace", type=int, default=0, help="llmmemory: tracemalloc frames")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    scenario = args.scenario or "all"
    work = Path(tempfile.mkdtemp(prefix="swarmstack-bench-"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    tasks, limit = (2_000, 1_000) if args.quick else (20_000, 10_000)
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    try:
        if scenario in ("all", "throughput"):
            report["throughput"] = run_throughput(work, args.quick)
            show("throughput", report["throughput"])
        if scenario in ("all", "drain"):
            report["drain"] = run_drain(
                work, Drain("sleep", tasks, limit), NAP_SPEC % {"in_flight": limit}, {}
            )
            show("drain", report["drain"])
        if scenario in ("all", "llm"):
            report["llm"] = run_llm(work, tasks, limit)
            show("llm", report["llm"])
        if scenario in ("all", "scale"):
            report["scale"] = run_scale(work, 1_000 if args.quick else 5_000)
            show("scale", report["scale"])
        if scenario in ("canary", "routing"):
            sys.path.insert(0, str(REPO))  # bench.rollouts imports bench.run's helpers
            from bench.rollouts import run_canary, run_routing

            run = run_canary if scenario == "canary" else run_routing
            report[scenario] = run(work, args.quick)
            show(scenario, report[scenario])
        if scenario == "limits":
            sys.path.insert(0, str(REPO))  # bench.limits imports bench.run's helpers
            from bench.limits import run_limits

            report["limits"] = run_limits(work, args.quick)
            show("limits", report["limits"])
        if scenario == "encryption":
            sys.path.insert(0, str(REPO))  # bench.encryption imports bench.run's helpers
            from bench.encryption import run_encryption

            report["encryption"] = run_encryption(work, args.quick)
            show("encryption", report["encryption"])
        if scenario == "llmclient":
            sys.path.insert(0, str(REPO))  # bench.llmclient imports bench.run's helpers
            from bench.llmclient import run_llmclient

            report["llmclient"] = run_llmclient(work, args.quick)
            show("llmclient", report["llmclient"])
        if scenario == "llmmemory":
            sys.path.insert(0, str(REPO))  # bench.llmmemory imports bench.run's helpers
            from bench.llmmemory import run_llmmemory

            report["llmmemory"] = run_llmmemory(work, args.quick, args.trace)
            show("llmmemory", report["llmmemory"])
        if scenario == "batch":
            sys.path.insert(0, str(REPO))  # bench.batch imports bench.run's helpers
            from bench.batch import run_batch

            report["batch"] = run_batch(work, args.quick)
            show("batch", report["batch"])
        if scenario == "soak":
            sys.path.insert(0, str(REPO))  # bench.soak imports bench.run's helpers
            from bench.soak import run_soak

            soak = run_soak(
                work, args.backend, args.duration, args.rate, args.window, args.retention
            )
            report["soak"] = soak
            show("soak", soak)
            scenario = f"soak-{args.backend}"
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")
    if "throughput" in report:
        for key in ("drain", "llm"):
            if key in report:
                best = max(r["e2e_tasks_per_s"] for r in report["throughput"]["rows"])
                report[key]["fraction_of_noop_rate"] = round(
                    report[key]["drain_tasks_per_s"] / best, 4
                )
    out = RESULTS / f"{scenario}{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults: {out.relative_to(REPO)}")


def show(name: str, data: dict[str, Any]) -> None:
    print(f"\n== {name}")
    print(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
