"""`swarmstack tasks submit-batch FILE`: submit the tasks of a JSON Lines file in batches.

Each line is a task as `POST /api/v1/tasks` takes it (`{"swarm": ..., "input": ...}`, optional
`priority`, `timeout`, `session`, `version`) plus an optional `idempotency_key`; `-` reads
standard input. Lines go to `POST /api/v1/tasks/batch` up to 1,000 at a time (`--batch-size`)
and up to `--max-bytes` of JSON per request (the manager refuses bodies over
`server.max_body_bytes`, 1 MiB by default; a request it still finds too large is split in two),
with a progress bar. Exit codes: 0 every task stored, 1 some refused (each named with its line),
2 bad usage or a malformed file (nothing sent), 3 the manager failed part-way (the lines before
the one named were sent; `--from-line` resumes there, and idempotency keys make a re-run safe).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from swarmstack.cli.output import console, escape, print_error
from swarmstack.cli.tasks import DEFAULT_URL, Json, Key, Url, client_for
from swarmstack.client.http import SwarmClient
from swarmstack.errors import InvalidInput, PayloadTooLarge, SwarmstackError

MAX_BATCH = 1000
MAX_BYTES = 1_000_000  # under the manager's default server.max_body_bytes (1 MiB)
Line = tuple[int, dict[str, Any]]  # (line number in the file, the task)


def submit_batch(
    file: Annotated[str, typer.Argument(help="JSON Lines of tasks, or - for standard input.")],
    batch_size: Annotated[
        int, typer.Option(min=1, max=MAX_BATCH, help="Most tasks per request.")
    ] = MAX_BATCH,
    max_bytes: Annotated[
        int, typer.Option(min=1024, help="Most bytes of JSON per request.")
    ] = MAX_BYTES,
    from_line: Annotated[
        int, typer.Option(min=1, help="Skip the lines before this one (resume a run).")
    ] = 1,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Submit every task of a JSON Lines file (one task body per line) in batches.

    Exit 0 if every task was stored, 1 if some were refused, 2 for a malformed file, 3 if the
    manager failed part-way (the message names the line to resume from with --from-line)."""
    try:
        lines = [(n, task) for n, task in read_tasks(file) if n >= from_line]
    except InvalidInput as exc:
        print_error(exc)
        raise typer.Exit(2) from exc
    client = client_for(url, api_key)
    outcome = _Outcome(len(lines))
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    ) as progress:
        bar = progress.add_task("submitting", total=len(lines))
        for chunk in chunks(lines, batch_size, max_bytes):
            try:
                _send(client, chunk, outcome)
            except SwarmstackError as exc:
                _report(outcome, as_json)
                first = chunk[0][0]
                console.print(
                    f"[red]error:[/red] {escape(_by_line(exc.render(), chunk))}\n"
                    f"the lines before line {first} were sent; resume with --from-line {first}",
                    highlight=False,
                )
                raise typer.Exit(3) from exc
            progress.advance(bar, len(chunk))
    _report(outcome, as_json)
    if outcome.refused:
        raise typer.Exit(1)


class _Outcome:
    """What the manager answered so far."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.accepted = 0
        self.refused: list[dict[str, Any]] = []


def chunks(lines: list[Line], batch_size: int, max_bytes: int) -> Iterator[list[Line]]:
    """`lines` in runs of at most `batch_size` tasks and `max_bytes` of JSON each (a single
    task larger than `max_bytes` goes alone)."""
    chunk: list[Line] = []
    size = 0
    for line in lines:
        cost = len(json.dumps(line[1], ensure_ascii=False).encode()) + 1
        if chunk and (len(chunk) >= batch_size or size + cost > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += cost
    if chunk:
        yield chunk


def _send(client: SwarmClient, chunk: list[Line], outcome: _Outcome) -> None:
    """Submit `chunk`; one the manager finds too large is split in two, and a single task too
    large for it is refused by name."""
    try:
        answer = client.submit_batch([task for _, task in chunk])
    except PayloadTooLarge as exc:
        if len(chunk) == 1:
            outcome.refused.append({"line": chunk[0][0], "status": 413, "detail": exc.message})
            return
        half = len(chunk) // 2
        _send(client, chunk[:half], outcome)
        _send(client, chunk[half:], outcome)
        return
    outcome.accepted += answer["accepted"]
    outcome.refused += [
        {"line": chunk[item["index"]][0], **item["problem"]}
        for item in answer["tasks"]
        if item["problem"] is not None
    ]


def _by_line(message: str, chunk: list[Line]) -> str:
    """A manager's message about `body.tasks.N` of a request, told by the file's line."""

    def line_of(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return f"line {chunk[index][0]}" if index < len(chunk) else match.group(0)

    return re.sub(r"body\.tasks\.(\d+)", line_of, message)


def read_tasks(file: str) -> list[Line]:
    """The tasks of a JSON Lines file with their line numbers (blank lines skipped);
    InvalidInput naming the line of one that is not a task, or that JSON cannot carry."""
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


def _parse(lines: TextIO, name: str) -> list[Line]:
    tasks: list[Line] = []
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
        _check_sendable(task, number, name)
        tasks.append((number, task))
    if not tasks:
        raise InvalidInput("no tasks in it", where=name, fix="write one task per line")
    return tasks


def _check_sendable(task: dict[str, Any], number: int, name: str) -> None:
    """Refuse a line JSON cannot carry to the manager (NaN, Infinity, a lone surrogate)."""
    try:
        json.dumps(task, allow_nan=False, ensure_ascii=False).encode()
    except (ValueError, UnicodeEncodeError) as exc:
        raise InvalidInput(
            f"line {number} holds a value JSON cannot carry ({exc})",
            where=name,
            fix="use null or a string for NaN and Infinity, and whole UTF-16 pairs in strings",
        ) from exc


def _report(outcome: _Outcome, as_json: bool) -> None:
    accepted, refused, total = outcome.accepted, outcome.refused, outcome.total
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
