"""Console output shared by commands: errors with their cause chain, masked URLs, tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def print_error(exc: BaseException) -> None:
    """One line per error in the cause chain, most specific first."""
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
    cause = exc.__cause__
    while cause is not None:
        err_console.print(f"  [red]caused by:[/] {type(cause).__name__}: {cause}", highlight=False)
        cause = cause.__cause__


def mask_url(url: str) -> str:
    """A database URL with its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def task_table(tasks: list[dict[str, Any]]) -> Table:
    """Tasks as a rich table."""
    table = Table("id", "swarm", "status", "priority", "attempts", "error")
    for task in tasks:
        table.add_row(
            task["id"],
            task["swarm"],
            task["status"],
            task["priority"],
            f"{task['attempts']}/{task['max_attempts']}",
            (task.get("error") or "")[:60],
        )
    return table
