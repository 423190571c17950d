"""One retention round: expire idempotency keys, compact events, archive and delete finished
tasks past their window, then (SQLite) return freed pages to the OS.

Called by the leader manager every `retention.interval` and by `swarmstack store prune`. A round
runs at most `max_batches` transactions of at most `batch_size` tasks per kind of work, so it
never holds long locks and never starves the queue; a backlog is worked off over several rounds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import ColumnElement

from swarmstack.core.retention import Plan
from swarmstack.security.crypto import Keyring, Sealer
from swarmstack.store import retention as sql
from swarmstack.store.archive import write_batch
from swarmstack.store.engine import Database
from swarmstack.store.retention import Removed
from swarmstack.store.vacuum import vacuum_dead

log = logging.getLogger(__name__)


@dataclass
class Report:
    """What one round did (or, in a dry run, would do at most)."""

    removed: Removed = field(default_factory=Removed)
    keys_expired: int = 0
    tasks_compacted: int = 0
    events_compacted: int = 0
    archived: int = 0
    files: list[str] = field(default_factory=list)
    busy: bool = False  # a limit was reached: more is due than one round does

    def as_dict(self) -> dict[str, object]:
        """The report as JSON-friendly values."""
        return {
            "tasks_deleted": self.removed.tasks,
            "attempts_deleted": self.removed.attempts,
            "events_deleted": self.removed.events,
            "keys_expired": self.keys_expired,
            "tasks_compacted": self.tasks_compacted,
            "events_compacted": self.events_compacted,
            "tasks_archived": self.archived,
            "archive_files": self.files,
            "more_due": self.busy,
        }


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one round may do."""

    batch_size: int = 500
    max_batches: int = 8
    vacuum_pages: int = 2000
    vacuum_rows: int = 200


class Pruner:
    """Runs retention rounds over one database."""

    def __init__(
        self,
        db: Database,
        limits: Limits | None = None,
        archive_dir: Path | None = None,
        keys: Sealer | None = None,
    ) -> None:
        self.db = db
        self.keys: Sealer = keys if keys is not None else Keyring()
        self.limits = limits or Limits()
        self.archive_dir = archive_dir

    async def run(self, plan: Plan) -> Report:
        """One round; raises StoreUnavailable (the next round goes on where this stopped)."""
        report = Report()
        for scope, windows in plan.scopes():
            await self._expire(sql.key_terms(scope, windows.idempotency_s), report)
            await self._compact(sql.compact_terms(scope, windows.events_s), report)
        for scope, statuses, keep_s in plan.prune_rules():
            await self._prune(sql.due_terms(scope, statuses, keep_s), report)
        if report.removed.tasks or report.events_compacted:
            await self.vacuum()
        return report

    async def dry_run(self, plan: Plan, cap: int = 100_000) -> Report:
        """How many tasks each kind of work would touch now (counted up to `cap` each)."""
        report = Report()
        for scope, windows in plan.scopes():
            report.keys_expired += await sql.count(
                self.db, sql.key_terms(scope, windows.idempotency_s), cap
            )
            report.tasks_compacted += await sql.count(
                self.db, sql.compact_terms(scope, windows.events_s), cap
            )
        for scope, statuses, keep_s in plan.prune_rules():
            due = await sql.count(self.db, sql.due_terms(scope, statuses, keep_s), cap)
            report.removed += Removed(tasks=due)
        return report

    async def _expire(self, terms: list[ColumnElement[bool]], report: Report) -> None:
        for _ in range(self.limits.max_batches):
            done = await sql.expire_keys(self.db, terms, self.limits.batch_size)
            report.keys_expired += done
            if done < self.limits.batch_size:
                return
        report.busy = True

    async def _compact(self, terms: list[ColumnElement[bool]], report: Report) -> None:
        for _ in range(self.limits.max_batches):
            marked, removed = await sql.compact_events(
                self.db, terms, self.limits.batch_size, self.keys
            )
            report.tasks_compacted += marked
            report.events_compacted += removed
            if marked < self.limits.batch_size:
                return
        report.busy = True

    async def _prune(self, terms: list[ColumnElement[bool]], report: Report) -> None:
        for _ in range(self.limits.max_batches):
            ids: list[str] = []
            if self.archive_dir is not None:
                ids = await sql.due_ids(self.db, terms, self.limits.batch_size)
                if not ids:
                    return
                await self._archive(ids, report)
            deleted, removed = await sql.delete_tasks(self.db, terms, self.limits.batch_size, ids)
            report.removed += removed
            if len(deleted) < self.limits.batch_size:
                return
        report.busy = True

    async def _archive(self, ids: list[str], report: Report) -> None:
        assert self.archive_dir is not None
        batch = await sql.export(self.db, ids)
        path = await asyncio.to_thread(write_batch, self.archive_dir, batch, time.time())
        report.archived += len(batch)
        report.files.append(str(path))

    async def vacuum(self) -> None:
        """SQLite: return up to `vacuum_pages` free pages to the OS (auto_vacuum=INCREMENTAL).
        PostgreSQL: `VACUUM` each table holding `vacuum_rows` dead tuples or more (of the
        deletes and of the queue's own updates; `store.vacuum`), whether or not the server's
        autovacuum is on (docs/architecture.md, "Storage"). It does not ANALYZE: the leader
        does that on its own, slower cadence (each ANALYZE leaves dead rows in the statistics
        catalog)."""
        if self.db.is_sqlite:
            if self.limits.vacuum_pages:
                await self.db.sqlite_script(
                    f"PRAGMA incremental_vacuum({self.limits.vacuum_pages});"
                )
            return
        done = await vacuum_dead(self.db, self.limits.vacuum_rows)
        if done.vacuumed:
            log.debug("retention: vacuumed %s", ", ".join(done.vacuumed))
