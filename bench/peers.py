"""The peers that swarmstack is measured next to, each in a virtual environment of its own.

`bench/.venv-<peer>` is created on first use with pinned versions; no peer is ever a dependency
of swarmstack. Each peer runs a no-op job in the same shape as swarmstack's scale and queues
scenarios: a client enqueues N jobs (64 in flight at once), then waits until every one is done.
Its worker and client live in bench/<peer>_app.py (Celery: bench/celery_app.py and
bench/celery_load.py); the client prints one JSON line with `total_s`.

Redis databases: Celery 14, arq 12, SAQ 13, each emptied before its run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.procs import REPO, process

PINS = {
    "celery": ["celery[redis]==5.5.3"],
    "pgqueuer": ["pgqueuer==1.6.0", "asyncpg==0.32.0"],
    "arq": ["arq==0.28.0", "redis[hiredis]==5.3.1"],
    # saq 0.26.4 imports typing_extensions without declaring it
    "saq": ["saq[hiredis]==0.26.4", "redis[hiredis]==5.3.1", "typing_extensions==4.16.0"],
}
REDIS_DB = {"celery": 14, "arq": 12, "saq": 13}
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def peer_python(peer: str) -> Path:
    """bench/.venv-<peer> with the peer's pinned packages installed (created once)."""
    venv = REPO / "bench" / f".venv-{peer}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS[peer]], check=True)
    return python


def celery_python() -> Path:
    return peer_python("celery")


def total_seconds(stdout: str) -> float:
    """`total_s` from the JSON line a peer's client prints last."""
    lines = [line for line in stdout.strip().splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"no JSON timing line in the peer's output:\n{stdout[-2000:]}")
    return float(json.loads(lines[-1])["total_s"])


def rates(tasks: int, seconds: dict[str, float]) -> dict[str, float]:
    """Tasks per second for each run, from its wall time for `tasks` tasks."""
    return {name: tasks / s for name, s in seconds.items()}


def ratio(ours: float, theirs: float) -> float:
    """ours / theirs, rounded as the result files quote it (0 when a peer did not run)."""
    return round(ours / theirs, 3) if theirs > 0 else 0.0


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database on 127.0.0.1:5432 (user postgres), dropped afterwards;
    yields its name."""
    import asyncpg

    name = f"{prefix}_{os.getpid()}"

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def client(python: Path, module: str, args: list[str], env: dict[str, str]) -> float:
    """Run a peer's client to the end; its `total_s`."""
    out = subprocess.run(
        [str(python), "-m", module, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{module} {args[0]} failed:\n{out.stdout[-2000:]}{out.stderr[-4000:]}")
    return total_seconds(out.stdout)


def flush_redis(peer: str) -> str:
    """Empty the peer's Redis database; its URL."""
    db = REDIS_DB[peer]
    subprocess.run(["redis-cli", "-n", str(db), "FLUSHDB"], check=True, capture_output=True)
    return f"redis://127.0.0.1:6379/{db}"


# --- the peers ----------------------------------------------------------------------------------
def run_celery(work: Path, tasks: int) -> float:
    """Celery 5.5: one worker with two prefork processes, Redis broker and result backend."""
    python = celery_python()
    env = {"PYTHONPATH": str(REPO), "BENCH_CELERY_REDIS": flush_redis("celery")}
    worker = [str(python), "-m", "celery", "-A", "bench.celery_app", "worker", "--pool=prefork"]
    worker += ["--concurrency=2", "--loglevel=WARNING", "--without-heartbeat", "--without-gossip"]
    with process(worker, work / "celery-worker.log", env):
        return client(python, "bench.celery_load", [str(tasks)], env)


def run_pgqueuer(work: Path, tasks: int) -> float:
    """PgQueuer on a fresh database of the same PostgreSQL: two consumer processes."""
    python = peer_python("pgqueuer")
    env = {"PYTHONPATH": str(REPO)}
    with fresh_database("pgqueuer_bench") as name:
        dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
        install = [str(python), "-m", "bench.pgqueuer_app", "install", dsn]
        subprocess.run(install, cwd=REPO, env={**os.environ, **env}, check=True)
        worker = [str(python), "-m", "bench.pgqueuer_app", "worker", dsn]
        with contextlib.ExitStack() as stack:
            for i in range(2):
                stack.enter_context(process(worker, work / f"pgqueuer-worker{i}.log", env))
            return client(python, "bench.pgqueuer_app", ["load", dsn, str(tasks)], env)


def run_redis_peer(work: Path, peer: str, tasks: int) -> float:
    """arq or SAQ: one worker process on its own Redis database."""
    python = peer_python(peer)
    url = flush_redis(peer)
    env = {"PYTHONPATH": str(REPO)}
    worker = [str(python), "-m", f"bench.{peer}_app", "worker", url]
    with process(worker, work / f"{peer}-worker.log", env):
        return client(python, f"bench.{peer}_app", ["load", url, str(tasks)], env)


def run_arq(work: Path, tasks: int) -> float:
    return run_redis_peer(work, "arq", tasks)


def run_saq(work: Path, tasks: int) -> float:
    return run_redis_peer(work, "saq", tasks)
