"""Where a worker's memory goes with 10,000 LLM tasks in flight.

One worker process (`serve --mode worker`, run through `bench/memprobe.py`) claims 10,000
pre-queued LLM tasks whose calls to the bundled test server (another process) take `--slow`
seconds. Once every task is in flight and its call sent, the probe writes the heap; once all
are done, again. The difference, divided by the tasks, is what one task in flight holds, by
type; with `--trace N` also by allocation site (tracemalloc, N frames; slow, RSS inflated).

    python bench/run.py llmmemory              # 10,000 tasks; --quick: 1,000
    python bench/run.py llmmemory --trace 8    # allocation sites too
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from bench.procs import (
    LLM_SPEC,
    base_env,
    free_port,
    in_flight,
    prequeue,
    process,
    rss_mb,
    task_counts,
    wait_http,
)

SLOW_S = 20.0
TOP = 40


def run_llmmemory(work: Path, quick: bool, trace_frames: int = 0) -> dict[str, Any]:
    """RSS and heap at `tasks` in flight and after, and the per-task difference."""
    tasks = 1000 if quick else 10_000
    data = work / "llmmemory"
    data.mkdir()
    llm_port = free_port()
    fake = [sys.executable, "-m", "swarmstack.testing.fake_llm", "--port", str(llm_port)]
    with process(fake, data / "fake-llm.log"):
        base_url = f"http://127.0.0.1:{llm_port}/v1"
        wait_http(base_url + "/models")
        spec_text = LLM_SPEC % {"base_url": base_url, "in_flight": tasks}
        spec = data / "llm.yaml"
        spec.write_text(spec_text.replace("[[slow:0.5]]", f"[[slow:{SLOW_S:g}]]"))
        db = data / "store.db"
        asyncio.run(prequeue(db, "nap", tasks))
        probe = data / "heap"
        env = {
            **base_env(db),
            "BENCH_LLM_KEY": "fake",
            "BENCH_MEMPROBE": str(probe),
            "SWARMSTACK_WORKER__CLAIM_BATCH": "5000",
            **({"PYTHONTRACEMALLOC": str(trace_frames)} if trace_frames else {}),
        }
        port = free_port()
        args = [sys.executable, "-m", "bench.memprobe", "serve", str(spec), "--mode", "worker"]
        with process([*args, "--port", str(port)], data / "worker.log", env) as proc:
            metrics = f"http://127.0.0.1:{port}/metrics"
            wait_http(metrics, 120)
            peak_rss = wait_all_in_flight(metrics, tasks, proc.pid)
            time.sleep(SLOW_S / 4)  # every call sent, none answered yet
            at_peak = take(proc.pid, probe, 1)
            peak_rss = max(peak_rss, rss_until_drained(db, proc.pid))
            idle = take(proc.pid, probe, 2)
    return {
        "tasks": tasks,
        "slow_s": SLOW_S,
        "tracemalloc_frames": trace_frames,
        "done": task_counts(db),
        "peak_rss_mb": round(peak_rss, 1),
        "rss_mb_in_flight": at_peak["rss_mb"],
        "rss_mb_after": idle["rss_mb"],
        "kib_per_task_rss": round((at_peak["rss_mb"] - idle["rss_mb"]) * 1024 / tasks, 2),
        "per_task_by_type": by_type(at_peak["heap"], idle["heap"], tasks),
        "per_task_by_kind": by_type(kinds(at_peak["heap"]), kinds(idle["heap"]), tasks),
        "per_task_by_site": by_site(at_peak["sites"], idle["sites"], tasks),
    }


def wait_all_in_flight(metrics: str, tasks: int, pid: int, timeout_s: float = 300) -> float:
    deadline = time.monotonic() + timeout_s
    peak = 0.0
    while time.monotonic() < deadline:
        peak = max(peak, rss_mb(pid))
        if in_flight(metrics) >= tasks:
            return peak
        time.sleep(0.2)
    raise RuntimeError(f"fewer than {tasks} tasks in flight after {timeout_s:.0f}s")


def rss_until_drained(db: Path, pid: int, timeout_s: float = 600) -> float:
    deadline = time.monotonic() + timeout_s
    peak = 0.0
    while time.monotonic() < deadline:
        peak = max(peak, rss_mb(pid))
        counts = task_counts(db)
        if counts.get("queued", 0) + counts.get("running", 0) == 0:
            return peak
        time.sleep(0.1)
    raise RuntimeError(f"tasks not drained within {timeout_s:.0f}s: {task_counts(db)}")


def take(pid: int, probe: Path, n: int) -> dict[str, Any]:
    out = Path(f"{probe}-{n}.json")
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if out.exists():
            time.sleep(0.5)  # let the write finish
            with open(out) as f:
                return dict(json.load(f))
        time.sleep(0.2)
    raise RuntimeError(f"the worker wrote no {out}")


def by_type(peak: dict[str, list[int]], idle: dict[str, list[int]], tasks: int) -> list[Any]:
    """The types whose live objects grew most, as objects and bytes per task in flight."""
    rows = []
    for name, (count, size) in peak.items():
        count0, size0 = idle.get(name, [0, 0])
        rows.append((size - size0, count - count0, name))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows if r[0] > 0)
    top = [
        {"type": n, "per_task": round(c / tasks, 2), "bytes_per_task": round(b / tasks)}
        for b, c, n in rows[:TOP]
    ]
    return [{"shallow_bytes_per_task": round(total / tasks)}, *top]


def kinds(heap: dict[str, list[int]]) -> dict[str, list[int]]:
    """The heap by type alone (coroutines and generators of every code together)."""
    out: dict[str, list[int]] = {}
    for name, (count, size) in heap.items():
        entry = out.setdefault(name.split(" ")[0], [0, 0])
        entry[0] += count
        entry[1] += size
    return out


def by_site(peak: list[dict[str, Any]], idle: list[dict[str, Any]], tasks: int) -> list[Any]:
    before = {tuple(s["where"]): s["bytes"] for s in idle}
    rows = [
        {
            "bytes_per_task": round((s["bytes"] - before.get(tuple(s["where"]), 0)) / tasks),
            "where": s["where"],
        }
        for s in peak
    ]
    return sorted(rows, key=lambda r: -int(r["bytes_per_task"]))[:TOP]
