"""Time every SQLite statement a swarmstack process runs, by statement text.

Runs `swarmstack <args>` in this process with the SQLite driver's two entry points
(`store.sqlite_driver._run` and `_run_many`, which execute each statement on aiosqlite's thread)
wrapped in a timer, and when the process ends (or gets SIGTERM) writes one line per distinct
statement to `$SQLTIME_OUT`, slowest total first: seconds, calls, rows (parameter sets), text.
This is the time SQLite itself spends, on the driver's thread, apart from SQLAlchemy's work on
the event loop; it is how the claim's sort of the whole backlog showed up (docs/benchmarks.md).

    SQLTIME_OUT=/tmp/up-sql.txt .venv/bin/python bench/sqltime.py up examples/triage/swarm.yaml

(any swarmstack command line after the script's name; the file is written when it stops, e.g. on
Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Timing:
    """What one statement text cost: seconds on the driver's thread, calls, parameter sets."""

    seconds: float = 0.0
    calls: int = 0
    rows: int = 0


def report(timings: dict[str, Timing]) -> str:
    """One line per statement, slowest total first (text on one line, cut at 300 characters)."""
    ordered = sorted(timings.items(), key=lambda item: -item[1].seconds)
    return "".join(
        f"{t.seconds:9.3f} s {t.calls:8d} calls {t.rows:9d} rows  {' '.join(sql.split())[:300]}\n"
        for sql, t in ordered
    )


def timed(
    timings: dict[str, Timing], run: Callable[..., Any], prefix: str, count: Callable[[Any], int]
) -> Callable[..., Any]:
    """`run(conn, sql, params)` that adds its time to `timings[prefix + sql]`."""

    def wrapper(conn: Any, sql: str, params: Any) -> Any:
        began = time.perf_counter()
        try:
            return run(conn, sql, params)
        finally:
            timing = timings.setdefault(prefix + sql, Timing())
            timing.seconds += time.perf_counter() - began
            timing.calls += 1
            timing.rows += count(params)

    return wrapper


def main() -> None:
    from swarmstack.cli.entry import main as swarmstack_main
    from swarmstack.store import sqlite_driver

    out = os.environ.get("SQLTIME_OUT")
    if not out:
        raise SystemExit("set SQLTIME_OUT to the file the timings go to")
    timings: dict[str, Timing] = {}
    sqlite_driver._run = timed(timings, sqlite_driver._run, "", lambda _: 1)  # type: ignore[assignment]
    sqlite_driver._run_many = timed(timings, sqlite_driver._run_many, "MANY ", len)  # type: ignore[assignment]

    def write(*_: Any) -> None:
        with open(out, "w") as file:
            file.write(report(timings))

    atexit.register(write)
    signal.signal(signal.SIGTERM, lambda *_: (write(), os._exit(0)))
    sys.argv = ["swarmstack", *sys.argv[1:]]
    swarmstack_main()


if __name__ == "__main__":
    main()
