"""`swarmstack store stats|prune`: what the store holds, and a retention round on demand.

Both take the store the way `up` and `serve` do (`--data-dir`, SWARMSTACK_STORE__URL,
DATABASE_URL, config.toml) and the swarm specs for their `retention:` overrides (arguments or
SWARMSTACK_SPECS). Neither creates a store: one that does not exist yet is an error.
Exit codes: 0 done, 1 the store failed, refused or does not exist, 2 bad usage.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from swarmstack.cli.output import console, mask_url
from swarmstack.core.retention import Plan, plan_of
from swarmstack.security.keyfile import with_default_key_file
from swarmstack.security.keyring import load_keyring
from swarmstack.server.housekeeping import pruner_for
from swarmstack.settings import Settings, load_layers
from swarmstack.spec import load_spec
from swarmstack.store import Store, open_store
from swarmstack.store.pruner import Pruner, Report
from swarmstack.store.stats import StoreStats, store_stats

app = typer.Typer(
    help="Inspect the store and apply retention.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
Specs = Annotated[
    list[Path] | None,
    typer.Argument(help="Swarm specs whose `retention:` overrides apply (or SWARMSTACK_SPECS)."),
]
DataDir = Annotated[
    Path | None, typer.Option(help="Embedded store directory (as for `swarmstack up`).")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
_T = TypeVar("_T")


@app.command()
def stats(
    specs: Specs = None,
    data_dir: DataDir = None,
    as_json: Json = False,
    exact: Annotated[bool, typer.Option(help="Count rows (slow on big tables).")] = False,
) -> None:
    """Rows and bytes per table, the oldest tasks, dead tuples (PostgreSQL), and what the next
    retention rounds will remove."""
    settings = _settings(data_dir)
    plan = _plan(specs, settings)

    async def collect(store: Store) -> tuple[StoreStats, Report]:
        found = await store_stats(store.db, exact=exact)
        return found, await _pruner(store, settings).dry_run(plan)

    found, due = _with_store(settings, collect)
    if as_json:
        print(json.dumps({"store": found.as_dict(), "due": due.as_dict()}, indent=2))
        return
    console.print(f"store: {mask_url(settings.store_url())}", highlight=False)
    console.print(_tables(found))
    console.print(_oldest(found))
    console.print(_due(due, "retention will remove next", counted_only=True))


@app.command()
def prune(
    specs: Specs = None,
    data_dir: DataDir = None,
    as_json: Json = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; change nothing.")] = False,
) -> None:
    """Run retention now, in the leader's small batches, until nothing more is due."""
    settings = _settings(data_dir)
    plan = _plan(specs, settings)

    async def run(store: Store) -> Report:
        pruner = _pruner(store, settings)
        if dry_run:
            return await pruner.dry_run(plan)
        return await _until_done(pruner.run, plan)

    report = _with_store(settings, run, sealing=not dry_run)
    if as_json:
        print(json.dumps({"dry_run": dry_run, **report.as_dict()}, indent=2))
        return
    console.print(_due(report, "would remove" if dry_run else "removed", counted_only=dry_run))
    for path in report.files:
        console.print(f"archived to {path}", highlight=False)


async def _until_done(run: Callable[[Plan], Awaitable[Report]], plan: Plan) -> Report:
    total = Report()
    while True:
        report = await run(plan)
        total.removed += report.removed
        total.keys_expired += report.keys_expired
        total.tasks_compacted += report.tasks_compacted
        total.events_compacted += report.events_compacted
        total.archived += report.archived
        total.files += report.files
        if not report.busy:
            return total


def _settings(data_dir: Path | None) -> Settings:
    return load_layers(overrides={"data_dir": data_dir}).settings


def _plan(specs: list[Path] | None, settings: Settings) -> Plan:
    env = os.environ.get("SWARMSTACK_SPECS", "")
    paths = specs or [Path(p) for p in env.split(os.pathsep) if p]
    loaded = [load_spec(p) for p in paths]
    return plan_of(settings.retention, {s.name: s.retention for s in loaded})


def _pruner(store: Store, settings: Settings) -> Pruner:
    return pruner_for(store, settings.retention)  # the leader's own limits and archive


def _with_store(
    settings: Settings, action: Callable[[Store], Awaitable[_T]], sealing: bool = False
) -> _T:
    """Run `action` on the store; with `sealing` (prune: compaction writes event data), with
    the keys `up`/`serve` would use (SettingsError when encryption is on and none is set)."""

    async def main() -> _T:
        store = await open_store(settings.store_url(), pool_size=2, max_overflow=0, existing=True)
        try:
            if sealing:
                keys = with_default_key_file(settings, create=False)[0].security
                store = Store(store.db, keyring=load_keyring(keys))
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(main())


def _tables(found: StoreStats) -> Table:
    pg = found.backend == "postgresql"
    table = Table("table", "rows", "bytes", *(["dead rows"] if pg else []), title="tables")
    for t in found.tables:
        dead = [str(t.dead_rows if t.dead_rows is not None else "-")] if pg else []
        table.add_row(t.name, f"{t.rows:,}", _size(t.bytes), *dead)
    if found.file_bytes is not None:
        table.add_row("(file)", "", _size(found.file_bytes))
        table.add_row("(free pages)", "", _size(found.free_bytes or 0))
    return table


def _oldest(found: StoreStats) -> Table:
    table = Table("tasks", "oldest", "age", title="oldest")
    now = time.time()
    entries = [("any (created)", found.oldest_task_at), *found.oldest_finished_at.items()]
    for name, at in entries:
        if at is not None:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))
            table.add_row(name, f"{stamp}Z", _age(max(0.0, now - at)))  # hosts' clocks differ
    return table


_COUNTED = ("tasks_deleted", "keys_expired", "tasks_compacted", "more_due")


def _due(report: Report, title: str, counted_only: bool = False) -> Table:
    """The report; a dry run counts tasks only (`counted_only`)."""
    table = Table("what", "count", title=title)
    for key, value in report.as_dict().items():
        if not isinstance(value, list) and (key in _COUNTED or not counted_only):
            table.add_row(key.replace("_", " "), str(value))
    return table


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"
