"""The leader's store housekeeping: retention rounds, vacuums and the store size gauges.

Called by `server.leader.Leader` on each tick while this manager leads. A round runs every
`retention.interval` (at once again while a backlog remains); the size gauges are refreshed every
`retention.stats_interval` from the databases' own estimates, never COUNT(*). On PostgreSQL each
tick also starts a VACUUM of the tables holding `retention.vacuum_rows` dead tuples or more
(`store.vacuum`), in the background so a long one never delays the leader's other work; it also
ANALYZEs the tables autovacuum's rule says are due, at most once per `retention.analyze_interval`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from swarmstack.core.retention import Plan
from swarmstack.errors import StoreUnavailable
from swarmstack.metrics import Metrics
from swarmstack.settings.models import RetentionSettings
from swarmstack.store import Store
from swarmstack.store.pruner import Limits, Pruner, Report
from swarmstack.store.stats import store_stats
from swarmstack.store.vacuum import Maintenance, vacuum_dead

log = logging.getLogger(__name__)


def pruner_for(store: Store, settings: RetentionSettings) -> Pruner:
    """A pruner with the settings' batch limits and archive."""
    limits = Limits(
        settings.batch_size, settings.max_batches, settings.vacuum_pages, settings.vacuum_rows
    )
    archive: Path | None = settings.archive_dir
    return Pruner(store.db, limits, archive, store.keyring)


class Housekeeping:
    """Retention rounds and store gauges, paced by a monotonic clock."""

    def __init__(
        self, store: Store, settings: RetentionSettings, plan: Plan, metrics: Metrics
    ) -> None:
        self.store = store
        self.settings = settings
        self.plan = plan
        self.metrics = metrics
        self.pruner = pruner_for(store, settings)
        self._next_round = 0.0
        self._next_stats = 0.0
        self._next_analyze = 0.0
        self._vacuum: asyncio.Task[Maintenance] | None = None
        for status, keep_s in plan.longest_by_status().items():
            metrics.retention_seconds.labels(status).set(keep_s)

    async def tick(self) -> None:
        """Run what is due; raises StoreUnavailable (the leader logs it and goes on)."""
        now = time.monotonic()
        if self.settings.enabled and now >= self._next_round:
            report = await self.pruner.run(self.plan)
            self._count(report)
            self._next_round = now if report.busy else now + self.settings.interval
        if now >= self._next_stats:
            self._next_stats = now + self.settings.stats_interval
            await self.refresh_gauges()
        self._start_vacuum(now)

    def _start_vacuum(self, now: float) -> None:
        """Start a VACUUM of the tables past their dead-tuple threshold unless one runs."""
        if self.store.db.is_sqlite or self.settings.vacuum_rows <= 0:
            return
        if self._vacuum is not None and not self._vacuum.done():
            return
        analyze = now >= self._next_analyze  # moved on once a table was analysed
        self._vacuum = asyncio.create_task(self._vacuum_once(analyze), name="vacuum")

    async def _vacuum_once(self, analyze: bool) -> Maintenance:
        began = time.monotonic()
        try:
            done = await vacuum_dead(self.store.db, self.settings.vacuum_rows, analyze=analyze)
        except StoreUnavailable as exc:
            log.warning("vacuum failed (%s); trying again next tick", exc)
            return Maintenance()
        except Exception:  # a bug must not end vacuuming for good: the next tick tries again
            log.exception("vacuum failed; trying again next tick")
            return Maintenance()
        if done.vacuumed:
            self.metrics.store_vacuums.inc(len(done.vacuumed))
        if done.analyzed:
            self._next_analyze = time.monotonic() + self.settings.analyze_interval
        if done.vacuumed or done.analyzed:
            log.debug(
                "vacuumed %s, analysed %s%s in %.3f s",
                ", ".join(done.vacuumed) or "nothing",
                ", ".join(done.analyzed) or "nothing",
                " and the statistics catalog" if done.catalog else "",
                time.monotonic() - began,
            )
        return done

    async def aclose(self) -> None:
        """Wait for a VACUUM under way to end (it is not interrupted half-way)."""
        if self._vacuum is not None:
            with contextlib.suppress(Exception):
                await self._vacuum

    def _count(self, report: Report) -> None:
        m, removed = self.metrics, report.removed
        m.retention_deleted.labels("tasks").inc(removed.tasks)
        m.retention_deleted.labels("task_attempts").inc(removed.attempts)
        m.retention_deleted.labels("task_events").inc(removed.events + report.events_compacted)
        m.idempotency_keys_expired.inc(report.keys_expired)
        m.tasks_compacted.inc(report.tasks_compacted)
        m.tasks_archived.inc(report.archived)
        if removed.tasks or report.keys_expired or report.tasks_compacted:
            log.info(
                "retention: deleted %d tasks (%d events), compacted %d, expired %d keys%s",
                removed.tasks,
                removed.events,
                report.tasks_compacted,
                report.keys_expired,
                "; more is due, next round at once" if report.busy else "",
            )

    async def refresh_gauges(self) -> None:
        """Rows, bytes and dead rows per table, and the age of the oldest finished tasks."""
        stats = await store_stats(self.store.db)
        for table in stats.tables:
            self.metrics.store_rows.labels(table.name).set(table.rows)
            self.metrics.store_bytes.labels(table.name).set(table.bytes)
            if table.dead_rows is not None:
                self.metrics.store_dead_rows.labels(table.name).set(table.dead_rows)
        now = time.time()
        for status in self.plan.longest_by_status():
            oldest = stats.oldest_finished_at.get(status)
            age = max(0.0, now - oldest) if oldest is not None else 0.0
            self.metrics.store_oldest_finished_age.labels(status).set(age)
