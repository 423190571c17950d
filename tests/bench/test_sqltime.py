"""The SQL timer's bookkeeping and report."""

from __future__ import annotations

from typing import Any

from bench.sqltime import Timing, report, timed


def test_each_statement_adds_its_calls_rows_and_time() -> None:
    timings: dict[str, Timing] = {}

    def run(conn: Any, sql: str, params: Any) -> str:
        return f"ran {sql}"

    one = timed(timings, run, "", lambda _: 1)
    many = timed(timings, run, "MANY ", len)
    assert one(None, "SELECT 1", ()) == "ran SELECT 1"
    one(None, "SELECT 1", ())
    many(None, "INSERT x", [(1,), (2,), (3,)])
    assert (timings["SELECT 1"].calls, timings["SELECT 1"].rows) == (2, 2)
    assert (timings["MANY INSERT x"].calls, timings["MANY INSERT x"].rows) == (1, 3)
    assert all(t.seconds >= 0 for t in timings.values())


def test_the_report_puts_the_slowest_first_on_one_line_each() -> None:
    lines = report(
        {"SELECT\n  a FROM t": Timing(0.5, 10, 10), "UPDATE t\nSET a = 1": Timing(2.0, 3, 3)}
    ).splitlines()
    assert lines[0].endswith("UPDATE t SET a = 1") and "3 calls" in lines[0]
    assert lines[1].endswith("SELECT a FROM t")
