"""(h) What encryption at rest costs on the submit path, measured in one run.

Two `up` nodes run side by side on SQLite: one encrypting task data (its own key file, the
default) and one started with SWARMSTACK_SECURITY__ENCRYPTION=false. wrk loads them in turn,
in ABBA rounds so drift cancels out, each round's pair back to back; the figure is the median
of the paired ratios (encrypted / plain submits per second). Each node runs its worker in the
same process, so the outcome path's sealing (results, events, traces) is paid inside the
measured submits too. In process, the microseconds one seal and one open add are measured on
the benchmark's own input and on a 4 KiB one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from bench.procs import (
    NOOP_SPEC,
    base_env,
    free_port,
    process,
    swarmstack,
    task_counts,
    wait_drained,
    wait_http,
    wrk,
)


def run_encryption(work: Path, quick: bool) -> dict[str, Any]:
    """Submits per second with encryption on and off, and the in-process cost of sealing."""
    seconds, rounds, connections = (4, 2, 64) if quick else (6, 8, 64)
    nodes: dict[str, dict[str, str]] = {
        "encrypted": {},
        "plain": {"SWARMSTACK_SECURITY__ENCRYPTION": "false"},
    }
    rps: dict[str, list[float]] = {name: [] for name in nodes}
    cpu_us: dict[str, list[float]] = {name: [] for name in nodes}
    with contextlib.ExitStack() as stack:
        urls, dbs, pids = {}, {}, {}
        for name, extra in nodes.items():
            data = work / f"encryption-{name}"
            data.mkdir()
            (data / "noop.yaml").write_text(NOOP_SPEC)
            port, dbs[name] = free_port(), data / "swarmstack.db"
            args = swarmstack("up", str(data / "noop.yaml"), "--port", str(port))
            env = {**base_env(dbs[name]), **extra}
            proc = process([*args, "--data-dir", str(data)], data / "up.log", env)
            pids[name] = stack.enter_context(proc).pid
            urls[name] = f"http://127.0.0.1:{port}"
        for url in urls.values():
            wait_http(url + "/ready")
            wrk(url + "/api/v1/tasks", 2, connections)  # warm-up
        for i in range(rounds):
            for name in sorted(nodes, reverse=bool(i % 2)):  # ABBA
                wait_drained(dbs[name], 300)
                cpu, tasks = cpu_s(pids[name]), sum(task_counts(dbs[name]).values())
                rps[name].append(wrk(urls[name] + "/api/v1/tasks", seconds, connections))
                wait_drained(dbs[name], 300)
                done = sum(task_counts(dbs[name]).values()) - tasks
                cpu_us[name].append((cpu_s(pids[name]) - cpu) / done * 1e6)
        for db in dbs.values():
            wait_drained(db, 300)
        per_task = sealed_per_task(dbs["encrypted"])
    paired = [e / p for e, p in zip(rps["encrypted"], rps["plain"], strict=True)]
    plain = statistics.median(rps["plain"])
    cpu = {name: statistics.median(values) for name, values in cpu_us.items()}
    cost = seal_cost_us()
    store_path = asyncio.run(store_path_cost(work))
    crypto_us = per_task * cost["seal_small"] + cost["open_small"]
    return {
        "wrk": {"seconds": seconds, "rounds": rounds, "connections": connections},
        "encrypted_rps": [round(r, 1) for r in rps["encrypted"]],
        "plain_rps": [round(r, 1) for r in rps["plain"]],
        "encrypted_median": round(statistics.median(rps["encrypted"]), 1),
        "plain_median": round(plain, 1),
        "paired_ratios": [round(r, 4) for r in paired],
        "encrypted_to_plain_paired_median": round(statistics.median(paired), 4),
        "slower_by_paired_median": round(1 - statistics.median(paired), 4),
        "cpu_us_per_task": {name: [round(v, 1) for v in values] for name, values in cpu_us.items()},
        "cpu_us_per_task_median": {name: round(v, 1) for name, v in cpu.items()},
        "cpu_per_task_more_by": round(cpu["encrypted"] / cpu["plain"] - 1, 4),
        "seal_us": cost,
        # one submit seals its input once; at the plain rate, the share of a core that takes
        "seal_share_of_submit": round(cost["seal_small"] * 1e-6 * plain, 5),
        # a task's whole life: the values stored sealed per task, and one open (the claim)
        "sealed_values_per_task": round(per_task, 2),
        "crypto_us_per_task": round(crypto_us, 1),
        "crypto_share_of_task_cpu": round(crypto_us / cpu["plain"], 5),
        "store_path": store_path,
    }


def sealed_per_task(db: Path) -> float:
    """Sealed values stored per task (inputs, results, traces, errors, events, messages)."""
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        tasks = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
        values = sum(
            conn.execute(f"SELECT count({column}) FROM {table}").fetchone()[0]
            for table, column in (
                ("tasks", "input"),
                ("tasks", "result"),
                ("tasks", "error"),
                ("tasks", "trace"),
                ("task_attempts", "error"),
                ("task_events", "data"),
                ("session_messages", "content"),
            )
        )
    return float(values / max(tasks, 1))


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seal_cost_us(calls: int = 100_000) -> dict[str, float]:
    """Microseconds per seal and per open (AES-256-GCM, a fresh nonce each) of the benchmark's
    input and of a 4 KiB one, and of the JSON encoding every submit does anyway."""
    from swarmstack.security.crypto import Keyring, new_key, parse_key
    from swarmstack.store.codec import dumps

    ring = Keyring(parse_key(new_key(), "bench"))
    small, large = dumps({"n": 1}), dumps({"text": "x" * 4096})
    sealed_small, sealed_large = ring.seal(small, "tasks.input"), ring.seal(large, "tasks.input")
    cases = {
        "json_dumps_small": lambda: dumps({"n": 1}),
        "seal_small": lambda: ring.seal(small, "tasks.input"),
        "open_small": lambda: ring.open(sealed_small, "tasks.input"),
        "seal_4k": lambda: ring.seal(large, "tasks.input"),
        "open_4k": lambda: ring.open(sealed_large, "tasks.input"),
    }
    cost = {}
    for label, call in cases.items():
        started = time.perf_counter()
        for _ in range(calls):
            call()
        cost[label] = round((time.perf_counter() - started) / calls * 1e6, 3)
    return cost


async def store_path_cost(work: Path, blocks: int = 12, size: int = 250) -> dict[str, Any]:
    """CPU microseconds per task of each step of a task's life on the store (submit, claim, a
    step event, record), sealing vs not, in alternating blocks of `size` tasks; medians."""
    from swarmstack.core.ids import WorkerId, new_task_id
    from swarmstack.core.records import NewTask, Outcome, OutcomeKind
    from swarmstack.security.crypto import Keyring, new_key, parse_key
    from swarmstack.store import open_store

    rings = {"encrypted": Keyring(parse_key(new_key(), "bench")), "plain": Keyring()}
    stores = {n: await open_store(f"sqlite+aiosqlite:///{work / f'path-{n}.db'}", keyring=k)
              for n, k in rings.items()}  # fmt: skip
    worker = WorkerId("bench-worker")
    steps = ("submit", "claim", "event", "record")
    spent: dict[str, dict[str, list[float]]] = {n: {s: [] for s in steps} for n in stores}

    async def block(name: str) -> None:
        store, now, clock = stores[name], time.time(), [time.process_time()]
        batch = [
            NewTask(new_task_id(), "noop", {"n": i}, 5, 1, 30.0, "b", now) for i in range(size)
        ]

        def lap(step: str) -> None:
            clock.append(time.process_time())
            spent[name][step].append((clock[-1] - clock[-2]) / size * 1e6)

        for start in range(0, size, 50):
            await store.tasks.submit_many(batch[start : start + 50])
        lap("submit")
        claimed = await store.claims.claim(worker, ["noop"], size, now, 30.0)
        lap("claim")
        await store.events.append(
            [(t.id, "step_finished", {"output": t.input}, now) for t in claimed]
        )
        lap("event")
        done = [
            Outcome(t.id, worker, 1, OutcomeKind.SUCCEEDED, now, result=t.input) for t in claimed
        ]
        for start in range(0, len(done), 100):
            await store.claims.record(done[start : start + 100])
        lap("record")

    try:
        for i in range(blocks + 1):  # the first pair warms up
            for name in sorted(stores, reverse=bool(i % 2)):
                await block(name)
    finally:
        for store in stores.values():
            await store.close()
    medians = {n: {s: statistics.median(v[1:]) for s, v in by.items()} for n, by in spent.items()}
    total = {n: sum(m.values()) for n, m in medians.items()}
    return {
        "blocks": blocks,
        "tasks_per_block": size,
        "cpu_us_per_task": {n: {s: round(v, 1) for s, v in m.items()} for n, m in medians.items()},
        "submit_more_by": round(medians["encrypted"]["submit"] / medians["plain"]["submit"] - 1, 4),
        "all_steps_more_by": round(total["encrypted"] / total["plain"] - 1, 4),
    }
