"""Run the swarmstack CLI with a memory probe: each SIGUSR1 writes what the heap holds.

    BENCH_MEMPROBE=/tmp/probe python -m bench.memprobe serve spec.yaml --mode worker

Each signal writes `<BENCH_MEMPROBE>-<n>.json`: RSS, live objects per type (count and shallow
bytes, from the garbage collector's view plus the containers it does not track) and, when
started with PYTHONTRACEMALLOC=<frames>, the biggest allocation sites. `bench/llmmemory.py`
diffs two of them (10,000 tasks in flight, then none).
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import signal
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from types import AsyncGeneratorType, CoroutineType, FrameType, GeneratorType, MethodType
from typing import Any

TOP = 60


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def heap() -> dict[str, list[int]]:
    """{type name: [count, shallow bytes]} of objects the collector tracks and their direct
    referents (strings, bytes and numbers are not tracked themselves)."""
    seen: set[int] = set()
    sizes: dict[str, list[int]] = {}
    for obj in gc.get_objects():
        for item in (obj, *gc.get_referents(obj)):
            if id(item) in seen:
                continue
            seen.add(id(item))
            name = describe(item)
            entry = sizes.setdefault(name, [0, 0])
            entry[0] += 1
            entry[1] += sys.getsizeof(item, 0)
    return sizes


def describe(item: object) -> str:
    """The type's name; for coroutines, generators and bound methods also which code."""
    kind = type(item)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(item, CoroutineType):
        code = item.cr_code
    elif isinstance(item, GeneratorType):
        code = item.gi_code
    elif isinstance(item, AsyncGeneratorType):
        code = item.ag_code
    else:
        code = None
    if code is not None:
        return f"{name} {code.co_filename.rsplit('/', 2)[-1]}:{code.co_qualname}"
    if isinstance(item, MethodType):
        return f"{name} {getattr(item.__func__, '__qualname__', '?')}"
    return name


def sites() -> list[dict[str, Any]]:
    if not tracemalloc.is_tracing():
        return []
    stats = tracemalloc.take_snapshot().statistics("traceback")
    return [
        {"bytes": s.size, "count": s.count, "where": [str(f) for f in s.traceback][-6:]}
        for s in stats[:TOP]
    ]


def dump(path: str, n: int) -> None:
    gc.collect()
    out = {"rss_mb": round(rss_mb(), 1), "heap": heap(), "sites": sites()}
    Path(f"{path}-{n}.json").write_text(json.dumps(out))


def install(path: str) -> None:
    taken = Counter[str]()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        taken["n"] += 1
        try:
            dump(path, taken["n"])
        except Exception as exc:  # say so in the worker's log, keep the worker running
            print(f"memprobe: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)

    signal.signal(signal.SIGUSR1, on_signal)


def count_gc() -> None:
    """Print the time spent in garbage collection, by generation, when the process exits."""
    spent = [0.0, 0.0, 0.0]
    runs = [0, 0, 0]
    started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[info["generation"]] += time.perf_counter() - started[0]
            runs[info["generation"]] += 1

    gc.callbacks.append(on_gc)
    atexit.register(lambda: print(f"memprobe gc: runs {runs} seconds {spent}", file=sys.stderr))


if __name__ == "__main__":
    install(os.environ["BENCH_MEMPROBE"])
    count_gc()
    from swarmstack.cli.entry import main

    sys.argv[0] = "swarmstack"
    main()
