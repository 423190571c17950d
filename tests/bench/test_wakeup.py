"""The wake-up benchmark's arithmetic: start delays read from a store, and their summary."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bench.wakeup import start_delays_ms, summary_ms


def test_start_delays_are_read_in_milliseconds_from_tasks_created_since(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE tasks (created_at REAL, started_at REAL)")
        rows = [(99.0, 99.5), (100.0, 100.002), (101.0, None), (102.0, 102.0105)]
        conn.executemany("INSERT INTO tasks VALUES (?, ?)", rows)
    assert [round(d, 3) for d in start_delays_ms(db, since=100.0)] == [2.0, 10.5]


def test_summary_takes_nearest_rank_percentiles() -> None:
    got = summary_ms([float(v) for v in range(1, 101)])
    assert got == {"samples": 100, "p50_ms": 50.0, "p90_ms": 90.0, "p99_ms": 99.0, "max_ms": 100.0}
    with pytest.raises(ValueError, match="no samples"):
        summary_ms([])
