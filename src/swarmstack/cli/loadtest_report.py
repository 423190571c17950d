"""The report of `swarmstack loadtest`: the JSON record (`report_of`) and its terminal form
(`print_report`). The HTML page (cli/loadtest_html.py) draws from the same record."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from swarmstack.cli.output import escape
from swarmstack.client.load import LoadPlan, LoadResult
from swarmstack.client.load_stats import error_rate, gate_passes, histogram, summarize

BAR_WIDTH = 40


NO_SUCCESS = "- (no successful request)"


def latency_name(plan: LoadPlan) -> str:
    """What one request's latency is: `submit` (202 once stored) or `submit_to_result`."""
    return "submit_to_result" if plan.wait_s else "submit"


def report_of(plan: LoadPlan, result: LoadResult, max_error_rate: float) -> dict[str, Any]:
    """The whole record: target, counts, errors by kind, throughput (requests/s), latency
    figures (ms) of the requests that succeeded, their histogram, the client's CPU cost and
    the error-rate gate."""
    total = len(result.samples)
    kinds = Counter(s.error for s in result.samples if s.error is not None)
    errors = sum(kinds.values())
    ok = [s.latency_s for s in result.samples if s.error is None]
    elapsed = max(result.elapsed_s, 1e-9)
    return {
        "target": _target(plan),
        "requests": total,
        "succeeded": total - errors,
        "errors": {
            "total": errors,
            "rate": round(error_rate(errors, total), 6),
            "by_kind": dict(kinds.most_common()),
            "details": {k: v for k, v in result.details.items() if k in kinds},
        },
        "elapsed_s": round(result.elapsed_s, 3),
        "throughput_rps": round(total / elapsed, 1),
        "succeeded_rps": round(len(ok) / elapsed, 1),
        "latency": {latency_name(plan): summarize(ok).as_dict()},
        "histogram": [
            {"low_ms": b.low * 1000, "high_ms": b.high * 1000, "count": b.count}
            for b in histogram(ok)
        ],
        "client": {
            "cpu_s": round(result.cpu_s, 3),
            "cpu_ms_per_request": round(result.cpu_s * 1000 / total, 3) if total else 0.0,
        },
        "gate": {
            "max_error_rate": max_error_rate,
            "passed": gate_passes(errors, total, max_error_rate),
        },
    }


def _target(plan: LoadPlan) -> dict[str, Any]:
    return {
        "url": plan.url,
        "swarm": plan.swarm,
        "mode": "open-loop" if plan.rate is not None else "closed-loop",
        "rate_per_s": plan.rate,
        "concurrency": plan.concurrency,
        "requests": plan.requests,
        "duration_s": plan.duration_s,
        "wait_s": plan.wait_s,
    }


def print_report(record: dict[str, Any], console: Console) -> None:
    """The record as tables and a latency histogram of bars."""
    console.print(_summary(record))
    if record["errors"]["by_kind"]:
        console.print(_errors(record))
    for line in histogram_lines(record["histogram"]):
        console.print(escape(line), highlight=False)
    gate = record["gate"]
    verdict = "[green]passed[/]" if gate["passed"] else "[red]failed[/]"
    console.print(
        f"error rate {record['errors']['rate']:.2%} against --max-error-rate "
        f"{gate['max_error_rate']:.2%}: {verdict}",
        highlight=False,
    )


def _summary(record: dict[str, Any]) -> Table:
    target = record["target"]
    table = Table("", "value", title=f"loadtest of {escape(target['url'])} ({target['mode']})")
    table.add_row("requests", f"{record['requests']:,} ({record['succeeded']:,} succeeded)")
    table.add_row("errors", f"{record['errors']['total']:,} ({record['errors']['rate']:.2%})")
    table.add_row("elapsed", f"{record['elapsed_s']:.2f} s")
    table.add_row(
        "throughput",
        f"{record['throughput_rps']:,.1f} req/s ({record['succeeded_rps']:,.1f} succeeded/s)",
    )
    for name, figures in record["latency"].items():
        table.add_row(
            f"{name.replace('_', '-')} latency",
            "p50 {p50_ms:.1f} / p90 {p90_ms:.1f} / p99 {p99_ms:.1f} / max {max_ms:.1f} ms".format(
                **figures
            )
            if figures["count"]
            else NO_SUCCESS,  # not "0.0 ms": no request succeeded to be timed
        )
    client = record["client"]
    table.add_row("client CPU", f"{client['cpu_ms_per_request']:.3f} ms per request")
    return table


def _errors(record: dict[str, Any]) -> Table:
    table = Table("error kind", "count", title="errors")
    for kind, count in record["errors"]["by_kind"].items():
        table.add_row(escape(kind), f"{count:,}")
    return table


def histogram_lines(buckets: list[dict[str, float]], width: int = BAR_WIDTH) -> list[str]:
    """One text line per bucket: its range in ms, a bar scaled to the fullest bucket, count."""
    if not buckets:
        return ["latency histogram: no successful request"]
    most = max(b["count"] for b in buckets) or 1
    lines = ["latency histogram (ms, succeeded requests):"]
    for b in buckets:
        bar = "#" * round(width * b["count"] / most)
        span = f"{_ms(b['low_ms'])} - {_ms(b['high_ms'])}"
        lines.append(f"  {span:>19} | {bar:<{width}} {int(b['count']):,}")
    return lines


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
