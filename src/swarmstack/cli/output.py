"""Console output shared by commands: errors with their cause chain, masked URLs, tables.

Text from users or data (names, messages, paths, values) goes through `escape` before rich sees
it: `[security]` or a regex's `[a-z]` would otherwise be read as markup and vanish.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape as _escape
from rich.table import Table
from sqlalchemy.engine import make_url

from swarmstack.errors import SwarmstackError

console = Console()
err_console = Console(stderr=True, soft_wrap=True)
HELP = {"help_option_names": ["-h", "--help"]}


def escape(text: object) -> str:
    """`text` as a string that rich prints as written."""
    return _escape(str(text))


def print_error(exc: BaseException) -> None:
    """One line per error in the cause chain, most specific first (repeats folded)."""
    err_console.print(f"[bold red]error:[/] {escape(exc)}", highlight=False)
    shown = {str(exc)}
    cause = exc.__cause__
    while cause is not None:
        line = f"{type(cause).__name__}: {cause}"
        if line not in shown:
            err_console.print(f"  [red]caused by:[/] {escape(line)}", highlight=False)
            shown.add(line)
        cause = cause.__cause__


def error_record(exc: BaseException) -> dict[str, Any]:
    """An error as `--json` prints it on stdout: message, fix and code when known."""
    if isinstance(exc, SwarmstackError):
        return {"message": exc.message, "where": exc.where, "fix": exc.fix, "code": exc.code}
    return {"message": str(exc), "where": None, "fix": None, "code": "internal-error"}


def note(text: str) -> None:
    """A notice on stderr (settings keys without effect, and the like)."""
    err_console.print(f"[yellow]note:[/] {escape(text)}", highlight=False)


def mask_url(url: str) -> str:
    """A database URL with its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def table(*columns: str, title: str | None = None) -> Table:
    """A table whose first column (an id) is never cut or wrapped, so it can be copied."""
    found = Table(title=title)
    for i, column in enumerate(columns):
        if i == 0:
            found.add_column(column, no_wrap=True, overflow="ignore", min_width=len(column))
        else:
            found.add_column(column, overflow="fold", min_width=min(len(column), 8))
    return found


def row(found: Table, *cells: object) -> None:
    """Add a row of data (escaped); the id column is widened to fit its value."""
    first = found.columns[0]
    first.min_width = max(first.min_width or 0, len(str(cells[0])))
    found.add_row(*(escape(c) for c in cells))


def task_table(tasks: list[dict[str, Any]]) -> Table:
    """Tasks as a rich table (full ids)."""
    found = table("id", "swarm", "status", "priority", "attempts", "error")
    for task in tasks:
        row(
            found,
            task["id"],
            task["swarm"],
            task["status"],
            task["priority"],
            f"{task['attempts']}/{task['max_attempts']}",
            (task.get("error") or "")[:60],
        )
    return found
