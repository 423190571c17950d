"""`swarmstack tasks submit-batch FILE`: submit the tasks of a JSON Lines file in batches.

Each line is a task as `POST /api/v1/tasks` takes it (`{"swarm": ..., "input": ...}`, optional
`priority`, `timeout`, `session`, `version`) plus an optional `idempotency_key`; `-` reads
standard input. Lines go to `POST /api/v1/tasks/batch` 1,000 at a time (`--batch-size`), with a
progress bar. Exit codes: 0 every task stored, 1 some refused (each named with its line), 2 bad
usage or a malformed file (nothing sent), 3 the manager failed part-way (what was sent before is
stored; re-run with idempotency keys to resume without duplicates).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from swarmstack.cli.output import console, escape, print_error
from swarmstack.cli.tasks import DEFAULT_URL, Json, Key, Url, client_for
from swarmstack.errors import InvalidInput, SwarmstackError

MAX_BATCH = 1000


def submit_batch(
    file: Annotated[str, typer.Argument(help="JSON Lines of tasks, or - for standard input.")],
    batch_size: Annotated[
        int, typer.Option(min=1, max=MAX_BATCH, help="Tasks per request.")
    ] = MAX_BATCH,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Submit every task of a JSON Lines file (one task body per line) in batches.

    Exit 0 if every task was stored, 1 if some were refused, 2 for a malformed file, 3 if the
    manager failed part-way."""
    try:
        tasks = read_tasks(file)
    except InvalidInput as exc:
        print_error(exc)
        raise typer.Exit(2) from exc
    client = client_for(url, api_key)
    refused: list[dict[str, Any]] = []
    accepted = 0
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    ) as progress:
        bar = progress.add_task("submitting", total=len(tasks))
        for start in range(0, len(tasks), batch_size):
            try:
                answer = client.submit_batch(tasks[start : start + batch_size])
            except SwarmstackError as exc:
                _report(accepted, refused, len(tasks), as_json)
                console.print(f"[red]error:[/red] {escape(exc.render())}", highlight=False)
                raise typer.Exit(3) from exc
            accepted += answer["accepted"]
            refused += [
                {"line": start + item["index"] + 1, **item["problem"]}
                for item in answer["tasks"]
                if item["problem"] is not None
            ]
            progress.advance(bar, len(answer["tasks"]))
    _report(accepted, refused, len(tasks), as_json)
    if refused:
        raise typer.Exit(1)


def read_tasks(file: str) -> list[dict[str, Any]]:
    """The tasks of a JSON Lines file (blank lines skipped); InvalidInput naming the line."""
    if file == "-":
        return _parse(sys.stdin, "<stdin>")
    path = Path(file)
    try:
        with path.open(encoding="utf-8") as lines:
            return _parse(lines, file)
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {file}: {exc.strerror}", fix="give the path of a JSON Lines file"
        ) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{file} is not UTF-8 text", fix="save it as UTF-8") from exc


def _parse(lines: TextIO, name: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            task = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"line {number} is not JSON: {exc.msg}",
                where=name,
                fix='write one task per line, e.g. {"swarm": "triage", "input": {"text": "hi"}}',
            ) from exc
        if not isinstance(task, dict) or "input" not in task:
            raise InvalidInput(
                f"line {number} is not a task object with an `input`",
                where=name,
                fix='write one task per line, e.g. {"swarm": "triage", "input": {"text": "hi"}}',
            )
        tasks.append(task)
    if not tasks:
        raise InvalidInput("no tasks in it", where=name, fix="write one task per line")
    return tasks


def _report(accepted: int, refused: list[dict[str, Any]], total: int, as_json: bool) -> None:
    if as_json:
        summary = {"tasks": total, "accepted": accepted, "refused": refused}
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    console.print(f"{accepted} of {total} tasks stored", highlight=False)
    for item in refused[:20]:
        console.print(
            f"  line {item['line']}: {item['status']} {escape(item['detail'])}", highlight=False
        )
    if len(refused) > 20:
        console.print(f"  ... and {len(refused) - 20} more (--json lists all)", highlight=False)
