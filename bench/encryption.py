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

import contextlib
import statistics
import time
from pathlib import Path
from typing import Any

from bench.run import (
    NOOP_SPEC,
    base_env,
    free_port,
    process,
    swarmstack,
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
    with contextlib.ExitStack() as stack:
        urls, dbs = {}, {}
        for name, extra in nodes.items():
            data = work / f"encryption-{name}"
            data.mkdir()
            (data / "noop.yaml").write_text(NOOP_SPEC)
            port, dbs[name] = free_port(), data / "swarmstack.db"
            args = swarmstack("up", str(data / "noop.yaml"), "--port", str(port))
            env = {**base_env(dbs[name]), **extra}
            stack.enter_context(process([*args, "--data-dir", str(data)], data / "up.log", env))
            urls[name] = f"http://127.0.0.1:{port}"
        for url in urls.values():
            wait_http(url + "/ready")
            wrk(url + "/api/v1/tasks", 2, connections)  # warm-up
        for i in range(rounds):
            for name in sorted(nodes, reverse=bool(i % 2)):  # ABBA
                wait_drained(dbs[name], 300)
                rps[name].append(wrk(urls[name] + "/api/v1/tasks", seconds, connections))
        for db in dbs.values():
            wait_drained(db, 300)
    paired = [e / p for e, p in zip(rps["encrypted"], rps["plain"], strict=True)]
    plain = statistics.median(rps["plain"])
    cost = seal_cost_us()
    return {
        "wrk": {"seconds": seconds, "rounds": rounds, "connections": connections},
        "encrypted_rps": [round(r, 1) for r in rps["encrypted"]],
        "plain_rps": [round(r, 1) for r in rps["plain"]],
        "encrypted_median": round(statistics.median(rps["encrypted"]), 1),
        "plain_median": round(plain, 1),
        "paired_ratios": [round(r, 4) for r in paired],
        "encrypted_to_plain_paired_median": round(statistics.median(paired), 4),
        "slower_by_paired_median": round(1 - statistics.median(paired), 4),
        "seal_us": cost,
        # one submit seals its input once; at the plain rate, the share of a core that takes
        "seal_share_of_submit": round(cost["seal_small"] * 1e-6 * plain, 5),
    }


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
