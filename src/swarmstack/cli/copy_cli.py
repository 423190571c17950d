"""`swarmstack store copy SRC_URL DST_URL`: move a deployment's data between stores (SQLite to
PostgreSQL when it outgrows one machine, or back), resumably, checked at the end.

The work is in `store.copy`; this module checks the URLs, shows a progress bar per table and
reports (docs/operations.md, "Moving to PostgreSQL"). Passwords in URLs are never printed.
Registered in the `store` group by `cli.main`. Exit codes: 0 copied and verified, 1 failed,
refused or not verified, 2 bad usage (a malformed URL, the same store twice).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, TaskID
from rich.table import Table
from sqlalchemy.engine import make_url

from swarmstack.cli.node import run_loop
from swarmstack.cli.output import console, escape, mask_url
from swarmstack.store import open_store
from swarmstack.store.copy import Copied, OnProgress, copy_store
from swarmstack.store.engine import Database
from swarmstack.store.export import BATCH

_BACKENDS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def copy(
    src_url: Annotated[str, typer.Argument(help="The store to copy from (its URL).")],
    dst_url: Annotated[str, typer.Argument(help="The store to copy into: empty, or resuming.")],
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Rows per transaction.")] = BATCH,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Copy every row of SRC_URL into DST_URL (migrated to the newest schema first), in
    batches; run it again after an interruption to go on. Stop the service first."""
    source, target = _url(src_url, "SRC_URL"), _url(dst_url, "DST_URL")
    if make_url(source) == make_url(target):
        raise typer.BadParameter("SRC_URL and DST_URL name the same store", param_hint="DST_URL")
    found: list[Copied] = []

    async def main() -> None:
        store = await open_store(source, pool_size=2, max_overflow=0, existing=True)
        db = Database(target, pool_size=2, max_overflow=0)
        try:
            with Progress(console=console, disable=as_json) as bars:
                found.append(await copy_store(store.db, db, _bars(bars), batch))
        finally:
            await store.close()
            await db.dispose()

    run_loop(main())
    _report(found[0], source, target, as_json)
    if not found[0].verified:
        raise typer.Exit(1)


def _url(text: str, name: str) -> str:
    """`text` as a URL of a supported backend with its async driver, a SQLite file by its
    absolute path (what is opened, and so what is reported). Raises BadParameter."""
    try:
        parsed = make_url(text)
    except Exception as exc:
        raise typer.BadParameter(
            f"{mask_url(text)} is not a database URL (sqlite:///path.db or "
            "postgresql://user:pass@host/db)",
            param_hint=name,
        ) from exc
    driver = _BACKENDS.get(parsed.get_backend_name())
    if driver is None:
        raise typer.BadParameter(
            f"{parsed.get_backend_name()} is not a swarmstack store backend (sqlite, postgresql)",
            param_hint=name,
        )
    url = parsed.set(drivername=driver)
    if driver.startswith("sqlite") and _is_sqlite_file(url.database):  # relative to the cwd
        url = url.set(database=str(Path(str(url.database)).resolve()))
    return url.render_as_string(hide_password=False)


def _is_sqlite_file(database: str | None) -> bool:
    return bool(database) and database != ":memory:" and not str(database).startswith("file:")


def _bars(bars: Progress) -> OnProgress:
    shown: dict[str, TaskID] = {}

    def update(table: str, done: int, total: int) -> None:
        if table not in shown:
            shown[table] = bars.add_task(table, total=max(total, 1))
        bars.update(shown[table], completed=done if total else 1)

    return update


def _report(copied: Copied, source: str, target: str, as_json: bool) -> None:
    if as_json:
        body = {"source": mask_url(source), "target": mask_url(target), **copied.as_dict()}
        sys.stdout.write(json.dumps(body) + "\n")
        return
    table = Table("table", "source rows", "copied rows", "checksums", title="copy")
    for t in copied.tables:
        table.add_row(
            t.name, f"{t.source_rows:,}", f"{t.target_rows:,}", "equal" if t.equal else "DIFFER"
        )
    console.print(table)
    verdict = "verified" if copied.verified else "NOT verified: the source changed meanwhile?"
    resumed = " (resumed)" if copied.resumed else ""
    console.print(
        escape(f"copied {mask_url(source)} into {mask_url(target)}{resumed}: {verdict}"),
        highlight=False,
    )
