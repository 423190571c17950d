"""`swarmstack loadtest`: submit many tasks to a running manager, show live progress, then a
report (tables and a histogram; `--json` the record; `--html OUT` a page with plots).

Exit codes: 0 the error rate is within --max-error-rate; 1 the run could not start (no manager
at the URL, unreadable settings); 2 bad usage; 3 the error rate exceeds --max-error-rate.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from swarmstack.cli.loadtest_html import page
from swarmstack.cli.loadtest_report import print_report, report_of
from swarmstack.cli.output import console, err_console
from swarmstack.cli.tasks import DEFAULT_URL, Key, Url, client_for
from swarmstack.client.load import LoadPlan, LoadResult, Tally, check_reachable, planned_total
from swarmstack.client.load import run_load as _run_load
from swarmstack.client.load_stats import percentile
from swarmstack.errors import InvalidInput
from swarmstack.spec.durations import parse_duration

GATE_FAILED = 3


def loadtest(
    swarm: Annotated[str | None, typer.Option(help="Swarm (default: the first loaded).")] = None,
    requests: Annotated[
        int | None, typer.Option(min=1, help="Requests to send (default 1000).")
    ] = None,
    duration: Annotated[str | None, typer.Option(help="Run this long instead (30s, 2m).")] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1, help="Submitters back to back (closed loop); with --rate: connections."
        ),
    ] = 1000,
    rate: Annotated[
        float | None,
        typer.Option(min=0.001, help="Open loop: requests per second, timed from when due."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for each outcome (?wait=); time to result.")
    ] = False,
    wait_s: Annotated[float, typer.Option(min=0.1, help="Longest wait with --wait.")] = 30.0,
    timeout_s: Annotated[float, typer.Option(min=0.1, help="Per-request timeout.")] = 30.0,
    data: Annotated[str, typer.Option("--input", help="Task input as JSON.")] = (
        '{"text": "loadtest"}'
    ),
    max_error_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Exit 3 above this error fraction.")
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
    html: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
) -> None:
    """Submit tasks (POST /api/v1/tasks) as fast as --concurrency allows or at --rate, then
    report throughput, errors by kind and latency percentiles (nearest rank).

    Exit codes: 0 error rate within --max-error-rate (default 0), 1 could not run, 2 bad usage,
    3 error rate above --max-error-rate."""
    if requests is not None and duration is not None:
        raise typer.BadParameter("give --requests or --duration, not both")
    seconds = _duration(duration)
    if html is not None:
        _check_html(html)  # before the run, not after minutes of load
    plan = LoadPlan(
        url=client_for(url, api_key).url,
        api_key=api_key,
        swarm=swarm,
        requests=None if seconds is not None else (requests or 1000),
        duration_s=seconds,
        concurrency=concurrency,
        rate=rate,
        wait_s=wait_s if wait else 0.0,
        timeout_s=timeout_s,
        payload=_payload(data),
    )
    result = asyncio.run(_run(plan, show_progress=not as_json))
    record = report_of(plan, result, max_error_rate)
    if html is not None:
        _write_html(html, page(record, result))
    if as_json:
        sys.stdout.write(json.dumps(record) + "\n")
    else:
        print_report(record, console)
        _hint(record)
    if not record["gate"]["passed"]:
        raise typer.Exit(GATE_FAILED)


def _duration(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        seconds = parse_duration(text)
    except (ValueError, InvalidInput) as exc:
        raise typer.BadParameter(f"{exc}; e.g. 30s or 2m", param_hint="--duration") from None
    if seconds <= 0:
        raise typer.BadParameter("must be longer than 0s", param_hint="--duration")
    return seconds


def _payload(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(
            f"not JSON ({exc.msg} at column {exc.colno}); quote text as a JSON string, "
            "e.g. --input '\"hello\"'",
            param_hint="--input",
        ) from None


async def _run(plan: LoadPlan, show_progress: bool) -> LoadResult:
    await check_reachable(plan)
    tally = Tally(planned_total(plan))
    if not show_progress:
        return await _run_load(plan, tally)
    with _progress() as progress:
        task = progress.add_task("loadtest", total=tally.total, stats="", count="")
        shown = asyncio.create_task(_follow(progress, task, tally))
        try:
            return await _run_load(plan, tally)
        finally:
            shown.cancel()
            _update(progress, task, tally, progress.tasks[0].elapsed or 0.0)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.fields[count]}"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[stats]}"),
        console=err_console,
        transient=False,
    )


async def _follow(progress: Progress, task: TaskID, tally: Tally) -> None:
    while True:
        await asyncio.sleep(0.25)
        _update(progress, task, tally, progress.tasks[0].elapsed or 0.0)


def _update(progress: Progress, task: TaskID, tally: Tally, elapsed_s: float) -> None:
    recent = sorted(tally.recent)
    p50 = f"p50 {percentile(recent, 0.5) * 1000:.1f} ms" if recent else "p50 -"
    rate = tally.done / elapsed_s if elapsed_s > 0 else 0.0
    stats = f"{rate:,.0f} req/s  {p50}  errors {tally.errors:,}"
    total = f"{tally.total:,}" if tally.total is not None else "?"
    progress.update(task, completed=tally.done, total=tally.total, stats=stats, count=total)


def _check_html(path: Path) -> None:
    folder = path.parent
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise typer.BadParameter(
            f"cannot write {path}: "
            + ("it is a directory" if path.is_dir() else f"{folder} is not a writable directory"),
            param_hint="--html",
        )


def _write_html(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"cannot write the HTML report to {path}: {exc.strerror}",
            where="--html",
            fix="name a file in a directory that exists and is writable",
        ) from exc
    err_console.print(f"wrote {path}", highlight=False)


def _hint(record: dict[str, Any]) -> None:
    kinds = record["errors"]["by_kind"]
    for kind, detail in record["errors"].get("details", {}).items():
        err_console.print(f"{kind} from the manager: {detail}", highlight=False, markup=False)
    if "http 401" in kinds:
        err_console.print("hint: 401: set SWARMSTACK_API_KEY or pass --api-key", highlight=False)
    if "http 429" in kinds:
        err_console.print(
            "hint: 429: the manager's rate limits or queue caps refused tasks (docs/security.md)",
            highlight=False,
        )
    if "connection" in kinds or "timeout" in kinds:
        err_console.print(
            "hint: connection errors and timeouts: lower --concurrency or --rate, or raise "
            "--timeout-s; `ulimit -n` bounds open connections",
            highlight=False,
        )
