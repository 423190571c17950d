"""The loadtest record and its terminal form, from a made-up run."""

from __future__ import annotations

import io

from rich.console import Console

from swarmstack.cli.loadtest_html import page
from swarmstack.cli.loadtest_report import histogram_lines, print_report, report_of
from swarmstack.client.load import LoadPlan, LoadResult, Sample

PLAN = LoadPlan("http://127.0.0.1:8080", requests=4, concurrency=2)
RESULT = LoadResult(
    [
        Sample(0.0, 0.010, None),
        Sample(0.0, 0.020, None),
        Sample(0.1, 0.030, "http 503"),
        Sample(0.1, 0.040, None),
    ],
    elapsed_s=2.0,
    cpu_s=0.004,
    details={"http 503": "the store is unavailable"},
)


def test_the_record_counts_errors_by_kind_and_times_only_successes() -> None:
    record = report_of(PLAN, RESULT, max_error_rate=0.0)
    assert record["requests"] == 4 and record["succeeded"] == 3
    assert record["errors"] == {
        "total": 1,
        "rate": 0.25,
        "by_kind": {"http 503": 1},
        "details": {"http 503": "the store is unavailable"},
    }
    assert record["throughput_rps"] == 2.0 and record["succeeded_rps"] == 1.5
    submit = record["latency"]["submit"]
    assert (submit["count"], submit["p50_ms"], submit["max_ms"]) == (3, 20.0, 40.0)
    assert sum(b["count"] for b in record["histogram"]) == 3
    assert record["client"] == {"cpu_s": 0.004, "cpu_ms_per_request": 1.0}
    assert record["gate"] == {"max_error_rate": 0.0, "passed": False}
    assert report_of(PLAN, RESULT, max_error_rate=0.25)["gate"]["passed"]


def test_with_wait_the_latency_is_submit_to_result() -> None:
    plan = LoadPlan("http://x", wait_s=10, rate=5.0)
    record = report_of(plan, RESULT, 0.5)
    assert list(record["latency"]) == ["submit_to_result"]
    assert record["target"]["mode"] == "open-loop"


def test_the_terminal_report_shows_figures_errors_and_a_histogram() -> None:
    out = io.StringIO()
    print_report(report_of(PLAN, RESULT, 0.0), Console(file=out, width=120))
    text = out.getvalue()
    for expected in ("3 succeeded", "http 503", "p50 20.0", "latency histogram", "failed"):
        assert expected in text


def test_histogram_bars_scale_to_the_fullest_bucket() -> None:
    lines = histogram_lines(
        [{"low_ms": 1, "high_ms": 2, "count": 10}, {"low_ms": 2, "high_ms": 4, "count": 5}],
        width=10,
    )
    assert lines[1].count("#") == 10 and lines[2].count("#") == 5
    assert histogram_lines([]) == ["latency histogram: no successful request"]


def test_a_run_without_a_success_shows_no_latency_figures() -> None:
    """It used to show "p50 0.0 / ... / max 0.0 ms", a latency no request had."""
    failed = LoadResult([Sample(0.0, 0.010, "http 404")], elapsed_s=1.0, cpu_s=0.001)
    record = report_of(PLAN, failed, 0.0)
    out = io.StringIO()
    print_report(record, Console(file=out, width=120))
    assert "no successful request" in out.getvalue() and "p50 0.0" not in out.getvalue()
    html = page(record, failed)
    assert "p50 0.0" not in html and "(no successful request)" in html
