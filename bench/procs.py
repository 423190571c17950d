"""Helpers the benchmarks share: child processes, ports, readiness, load generators (wrk, the
paced client, submit-then-fetch), the SQLite store's counts and times, and /proc readings.

bench/run.py is the dispatcher; bench/peers.py runs the peers in their own environments.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
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


@contextlib.contextmanager
def running_up(data: Path, extra: list[str]) -> Iterator[tuple[str, Path]]:
    """`swarmstack up` on the no-op spec with `data` (created) as its data directory, stopped
    when the block ends: (its base URL, its SQLite store) once it is ready."""
    data.mkdir()
    spec = data / "noop.yaml"
    spec.write_text(NOOP_SPEC)
    db = data / "store.db"
    port = free_port()
    args = swarmstack("up", str(spec), "--port", str(port), "--data-dir", str(data), *extra)
    with process(args, data / "up.log", base_env(db)):
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/ready")
        yield base, db


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


# --- processes, /proc, a backlog, submit then fetch ---------------------------------------------
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


async def submit_then_fetch(base: str, count: int, connections: int = 64) -> float:
    """Seconds to submit `count` no-op tasks over HTTP, then fetch every result with a long
    poll (`GET ...?wait=30`; the same shape as Celery's `delay()` then `get()`), on cheap
    keep-alive connections."""
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
        # a long poll: answered once the task has its outcome (or after 30 s, then asked again)
        get = f"GET /api/v1/tasks/{task_id}?wait=30 HTTP/1.1\r\n{auth}\r\n".encode()
        while True:
            status, answer = await pool[i % connections].post(get)
            assert status == 200, answer
            task = json.loads(answer)
            if task["status"] == "succeeded":
                return task["result"]

    started = time.perf_counter()
    ids = await asyncio.gather(*(submit(i) for i in range(count)))
    results = await asyncio.gather(*(fetch(i, t) for i, t in enumerate(ids)))
    elapsed = time.perf_counter() - started
    for conn in pool:
        conn.close()
    assert [r["n"] for r in results] == list(range(count))
    return elapsed
