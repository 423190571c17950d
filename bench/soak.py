"""The soak scenario: a steady rate for minutes with retention set short, on SQLite or
PostgreSQL. Every window it records the store's size (SQLite: file + WAL; PostgreSQL: the
database), PostgreSQL's dead tuples, the RSS of every swarmstack process, and the
submit-to-result p50/p99 of that window. Goals: size and RSS flat once the retention window is
full, dead tuples median < 1,000, and the p99 of the last 5 minutes within 10 % of the first 5
(both pooled over every request of those minutes). The clock starts after a 10 s warm-up at the
same rate, so the first minutes measure the store, not the workers' start.

    python bench/run.py soak --backend sqlite --duration 180 --rate 100
    python bench/run.py soak --backend postgresql --duration 1800 --rate 200 --retention 300
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Any

from bench.procs import (
    NOOP_SPEC,
    base_env,
    free_port,
    paced,
    pct,
    process,
    rss_mb,
    swarmstack,
    wait_http,
)

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
EDGE_S = 300  # the p99 of the first and of the last 5 minutes are compared
WARM_UP_S = 10  # paced load before the clock starts: workers importing are not the store


def retention_env(keep_s: int) -> dict[str, str]:
    """Short windows, so the store fills within minutes: tasks and keys kept `keep_s`,
    full event streams a third of that."""
    return {
        "SWARMSTACK_RETENTION__SUCCEEDED": f"{keep_s}s",
        "SWARMSTACK_RETENTION__OTHER": f"{keep_s}s",
        "SWARMSTACK_RETENTION__FAILED": f"{keep_s}s",
        "SWARMSTACK_RETENTION__IDEMPOTENCY": f"{keep_s}s",
        "SWARMSTACK_RETENTION__EVENTS": f"{max(1, keep_s // 3)}s",
        "SWARMSTACK_RETENTION__INTERVAL": "2s",
        "SWARMSTACK_RETENTION__STATS_INTERVAL": "5s",
    }


def run_soak(
    work: Path, backend: str, duration_s: int, rate: float, window_s: int, keep_s: int = 60
) -> Any:
    """Soak one backend; one row per window."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{work / 'soak.db'}"
        return _soak(work, url, duration_s, rate, window_s, keep_s)
    name = f"swarmstack_soak_{os.getpid()}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        return _soak(work, url, duration_s, rate, window_s, keep_s)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _soak(
    work: Path, url: str, duration_s: int, rate: float, window_s: int, keep_s: int
) -> dict[str, Any]:
    spec = work / "noop.yaml"
    spec.write_text(NOOP_SPEC)
    retention = retention_env(keep_s)
    env = {**base_env(work / "soak.db"), "SWARMSTACK_STORE__URL": url, **retention}
    port = free_port()
    args = swarmstack("up", str(spec), "--port", str(port), "--workers", "2")
    args += ["--data-dir", str(work / "data")]
    rows = []
    first: list[float] = []  # every latency of the first EDGE_S seconds
    last: list[list[float]] = []  # the windows' latencies, the last EDGE_S seconds kept
    with process(args, work / "soak.log", env) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/ready")
        asyncio.run(paced(base, rate, WARM_UP_S, failures=[]))  # discarded
        began = time.monotonic()
        while time.monotonic() - began < duration_s:
            failures: list[bytes] = []
            latencies = asyncio.run(paced(base, rate, window_s, failures=failures))
            if time.monotonic() - began <= EDGE_S + window_s / 2:
                first.extend(latencies)
            last = [*last, latencies][-max(1, round(EDGE_S / window_s)) :]
            rows.append(
                {
                    "t_s": round(time.monotonic() - began),
                    "failed": len(failures),
                    "store_mb": round(_store_bytes(url) / 1e6, 2),
                    "dead_tuples": _dead_tuples(url),
                    "vacuums": _vacuums(url),
                    "relations_mb": _relations_mb(url),
                    "rss_mb": [round(rss_mb(p)) for p in [proc.pid, *_children(proc.pid)]],
                    "p50_ms": round(pct(latencies, 0.5) * 1000, 1),
                    "p99_ms": round(pct(latencies, 0.99) * 1000, 1),
                }
            )
            print(rows[-1], flush=True)
    pooled_last = [x for window in last for x in window]
    full = [r for r in rows if r["t_s"] > keep_s + 30]  # once the retention window is full
    dead = sorted(r["dead_tuples"] for r in full if r["dead_tuples"] is not None)
    return {
        "backend": url.split("+")[0],
        "rate": rate,
        "duration_s": duration_s,
        "retention": retention,
        "windows": rows,
        "failed": sum(r["failed"] for r in rows),
        "p99_first_5min_ms": round(pct(first, 0.99) * 1000, 1),
        "p99_last_5min_ms": round(pct(pooled_last, 0.99) * 1000, 1),
        "p99_last_vs_first": round(pct(pooled_last, 0.99) / pct(first, 0.99), 3),
        "store_mb_max": max(r["store_mb"] for r in rows),
        "store_mb_end": rows[-1]["store_mb"],
        "store_mb_full_window": [min(r["store_mb"] for r in full), max(r["store_mb"] for r in full)]
        if full
        else None,
        "dead_tuples_median_full_window": dead[len(dead) // 2] if dead else None,
    }


def _store_bytes(url: str) -> int:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        files = [path, path.with_name(path.name + "-wal")]
        return sum(f.stat().st_size for f in files if f.exists())
    return int(_pg(url, "SELECT pg_database_size(current_database())")[0][0])


def _dead_tuples(url: str) -> int | None:
    if url.startswith("sqlite"):
        return None
    return int(_pg(url, "SELECT COALESCE(SUM(n_dead_tup), 0) FROM pg_stat_user_tables")[0][0])


def _vacuums(url: str) -> dict[str, list[int]] | None:
    """Per table: [dead tuples, vacuums, autovacuums] (PostgreSQL only)."""
    if url.startswith("sqlite"):
        return None
    rows = _pg(
        url,
        "SELECT relname, n_dead_tup, vacuum_count, autovacuum_count FROM pg_stat_user_tables "
        "WHERE n_dead_tup > 0 OR vacuum_count + autovacuum_count > 0 ORDER BY relname",
    )
    return {r[0]: [int(r[1]), int(r[2]), int(r[3])] for r in rows}


def _relations_mb(url: str) -> dict[str, float] | None:
    """PostgreSQL: the size of each relation over 0.5 MB (tables, their TOAST, indexes, and the
    system catalogs), to see which one grows when the database does."""
    if url.startswith("sqlite"):
        return None
    rows = _pg(
        url,
        "SELECT n.nspname || '.' || c.relname, pg_relation_size(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'i', 't') "
        "AND pg_relation_size(c.oid) > 500000 ORDER BY 2 DESC",
    )
    return {str(r[0]): round(int(r[1]) / 1e6, 2) for r in rows}


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    return []


def _pg(url: str, sql: str) -> list[Any]:
    import asyncpg

    async def run() -> list[Any]:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return list(await conn.fetch(sql))
        finally:
            await conn.close()

    return asyncio.run(run())


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def sparkline(values: list[float]) -> str:
    """Values as a one-line chart (for docs/benchmarks.md)."""
    bars = "▁▂▃▄▅▆▇█"
    top = max(values) or 1.0
    return "".join(bars[min(len(bars) - 1, int(v / top * (len(bars) - 1)))] for v in values)
