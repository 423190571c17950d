"""swarmstack benchmarks, each measured next to its peer in the same run.

    python bench/run.py all            # every goal scenario with its peers (throughput, drain,
                                       #   llm, batch, wakeup, scale, queues), documented sizes
    python bench/run.py throughput     # (a) no-op tasks through HTTP vs a bare Starlette endpoint
    python bench/run.py drain          # (b) 20,000 pre-queued 0.5 s tasks, 10,000 in flight
    python bench/run.py llm            # (c) the same with LLM agents against a 0.5 s local server
    python bench/run.py llmclient      # (c) CPU per LLM call: ChatClient, httpx, aiohttp
    python bench/run.py llmmemory      # (c) what 10,000 LLM tasks in flight hold in a worker
    python bench/run.py scale          # (d) PostgreSQL, 1 manager + 2 workers, vs Celery, PgQueuer
    python bench/run.py queues         # (d) SQLite through HTTP vs arq and SAQ on Redis
    python bench/run.py wakeup         # (a) how soon an idle `up --workers 1` starts a task
    python bench/run.py soak --backend sqlite --duration 180 --rate 100   # (e) see bench/soak.py
    python bench/run.py batch          # (b) batch submit and one worker's drain, see bench/batch.py
    python bench/run.py canary         # (f) a bad canary under steady load, see bench/rollouts.py
    python bench/run.py routing        # (g) submit throughput: one version vs a 50 % canary
    python bench/run.py limits         # (h) submit throughput: rate limits off vs on (local, Redis)
    python bench/run.py encryption     # (i) submit throughput: encryption at rest on vs off
    python bench/run.py ... --quick    # smaller sizes, for a smoke run

Results print as a table and are written to bench/results/<scenario>.json. docs/benchmarks.md
holds the figures and how they were taken. Load comes from `wrk` (Debian package `wrk`) and, for
paced latency, from an asyncio httpx client in this process. The peers (Celery, PgQueuer, arq,
SAQ) run from their own virtual environments, bench/.venv-<peer>, see bench/peers.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `bench` as a package

from bench.peers import (
    fresh_database,
    rates,
    ratio,
    run_arq,
    run_celery,
    run_pgqueuer,
    run_saq,
)
from bench.procs import (
    LLM_SPEC,
    NAP_SPEC,
    NOOP_SPEC,
    REPO,
    base_env,
    cpu_s,
    free_port,
    in_flight,
    paced,
    pct,
    prequeue,
    process,
    rss_mb,
    running_up,
    span,
    submit_then_fetch,
    swarmstack,
    task_counts,
    wait_drained,
    wait_http,
    wrk,
)

RESULTS = REPO / "bench" / "results"
SCENARIOS = ["all", "throughput", "drain", "llm", "llmclient", "llmmemory", "scale", "queues"]
SCENARIOS += ["soak", "canary", "routing", "limits", "encryption", "batch", "wakeup"]


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
    with running_up(work / label.replace(" ", "-"), extra) as (base, db):
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


# --- (d) scale-out on PostgreSQL and Python queues on Redis -------------------------------------
def run_scale(work: Path, tasks: int) -> dict[str, Any]:
    """One manager and two worker processes on PostgreSQL vs Celery (two prefork processes) and
    PgQueuer (two consumer processes on the same PostgreSQL)."""
    with fresh_database("swarmstack_bench") as name:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        swarm_s = run_swarmstack_pg(work, url, tasks)
    per_s = rates(tasks, {"ours": swarm_s, "celery": run_celery(work, tasks)})
    per_s["pgqueuer"] = tasks / run_pgqueuer(work, tasks)
    return {
        "tasks": tasks,
        "swarmstack_pg_tasks_per_s": round(per_s["ours"], 1),
        "celery_redis_tasks_per_s": round(per_s["celery"], 1),
        "pgqueuer_tasks_per_s": round(per_s["pgqueuer"], 1),
        "ratio": ratio(per_s["ours"], per_s["celery"]),
        "ratio_vs_pgqueuer": ratio(per_s["ours"], per_s["pgqueuer"]),
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


def run_swarmstack_up(work: Path, label: str, extra: list[str], tasks: int) -> float:
    """Seconds for `tasks` no-op tasks through `swarmstack up` on SQLite, submit then fetch."""
    with running_up(work / f"queues-{label}", extra) as (base, _):
        asyncio.run(submit_then_fetch(base, 200))  # warm-up
        return asyncio.run(submit_then_fetch(base, tasks))


def run_queues(work: Path, tasks: int) -> dict[str, Any]:
    """swarmstack on SQLite through HTTP (`up --workers 1`, and `up` as one process) vs arq and
    SAQ on Redis, one worker process each."""
    seconds = {
        "workers1": run_swarmstack_up(work, "workers1", ["--workers", "1"], tasks),
        "one_process": run_swarmstack_up(work, "one-process", [], tasks),
        "arq": run_arq(work, tasks),
        "saq": run_saq(work, tasks),
    }
    per_s = rates(tasks, seconds)
    result: dict[str, Any] = {"tasks": tasks}
    result.update({f"{k}_tasks_per_s": round(v, 1) for k, v in per_s.items()})
    for peer in ("arq", "saq"):
        result[f"ratio_vs_{peer}"] = ratio(per_s["workers1"], per_s[peer])
        result[f"ratio_vs_{peer}_one_process"] = ratio(per_s["one_process"], per_s[peer])
    return result


# --- main ---------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=SCENARIOS, nargs="?")
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
        if scenario in ("all", "wakeup"):
            from bench.wakeup import run_wakeup

            report["wakeup"] = run_wakeup(work, args.quick)
            show("wakeup", report["wakeup"])
        if scenario in ("all", "scale"):
            report["scale"] = run_scale(work, 1_000 if args.quick else 5_000)
            show("scale", report["scale"])
        if scenario in ("all", "queues"):
            report["queues"] = run_queues(work, 1_000 if args.quick else 5_000)
            show("queues", report["queues"])
        if scenario in ("canary", "routing"):
            from bench.rollouts import run_canary, run_routing

            run = run_canary if scenario == "canary" else run_routing
            report[scenario] = run(work, args.quick)
            show(scenario, report[scenario])
        if scenario == "limits":
            from bench.limits import run_limits

            report["limits"] = run_limits(work, args.quick)
            show("limits", report["limits"])
        if scenario == "encryption":
            from bench.encryption import run_encryption

            report["encryption"] = run_encryption(work, args.quick)
            show("encryption", report["encryption"])
        if scenario == "llmclient":
            from bench.llmclient import run_llmclient

            report["llmclient"] = run_llmclient(work, args.quick)
            show("llmclient", report["llmclient"])
        if scenario == "llmmemory":
            from bench.llmmemory import run_llmmemory

            report["llmmemory"] = run_llmmemory(work, args.quick, args.trace)
            show("llmmemory", report["llmmemory"])
        if scenario in ("all", "batch"):
            from bench.batch import run_batch

            report["batch"] = run_batch(work, args.quick)
            show("batch", report["batch"])
        if scenario == "soak":
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
