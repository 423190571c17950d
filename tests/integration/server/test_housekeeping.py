"""The leader runs retention and refreshes the store gauges; followers do neither."""

from __future__ import annotations

import time

import pytest
from prometheus_client import generate_latest
from sqlalchemy import text

from swarmstack.core.records import OutcomeKind
from swarmstack.core.retention import plan_of
from swarmstack.metrics import Metrics
from swarmstack.server.housekeeping import Housekeeping
from swarmstack.server.leader import Leader
from swarmstack.settings.models import RetentionSettings
from swarmstack.signals.local import LocalSignals
from swarmstack.spec.retention import Retention
from swarmstack.store import Store
from swarmstack.store.tables import tasks
from tests.integration.store.test_retention import DAY, finished, rows
from tests.support.pg_stats import analyze_counts, until_dead, until_modified, vacuum_counts
from tests.support.store_time import age


def leader(
    store: Store, metrics: Metrics, owner: str, settings: RetentionSettings | None = None
) -> Leader:
    settings = settings or RetentionSettings()
    plan = plan_of(settings, {"s": Retention(failed=2 * DAY)})
    keeping = Housekeeping(store, settings, plan, metrics)
    return Leader(store, LocalSignals(), metrics, owner, ["s"], housekeeping=keeping)


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_the_leader_prunes_and_counts(store: Store) -> None:
    ids = await finished(store, n=2) + await finished(store, OutcomeKind.FAILED)
    await age(store, 8 * DAY)
    m, other = Metrics(), Metrics()
    first, follower = leader(store, m, "m1"), leader(store, other, "m2")
    await first.tick(time.time())
    await follower.tick(time.time())
    assert first.is_leader and not follower.is_leader
    await follower.resign()
    await first.resign()  # leave no manager rows behind for other tests
    assert await rows(store, tasks, ids) == 0
    assert sample(m, "swarmstack_retention_deleted_rows_total", table="tasks") == 3
    assert sample(m, "swarmstack_retention_seconds", status="failed") == 30 * DAY
    assert sample(m, "swarmstack_store_rows", table="tasks") is not None
    assert (sample(m, "swarmstack_store_bytes", table="task_events") or 0) > 0
    assert sample(other, "swarmstack_store_rows", table="tasks") is None
    assert b"swarmstack_store_oldest_finished_age_seconds" in generate_latest(m.registry)


async def test_the_oldest_finished_task_age_is_a_gauge(store: Store) -> None:
    await finished(store)
    await age(store, 3 * DAY)
    m = Metrics()
    only = leader(store, m, "m1")
    await only.tick(time.time())
    await only.resign()
    value = sample(m, "swarmstack_store_oldest_finished_age_seconds", status="succeeded")
    assert value is not None and 3 * DAY <= value < 3 * DAY + 600


async def test_the_leader_vacuums_tables_past_their_dead_tuple_threshold(store: Store) -> None:
    m = Metrics()
    only = leader(store, m, "m1")
    await only.tick(time.time())  # the first round: nothing is old enough to prune yet
    await finished(store, n=250)  # claims and outcomes rewrite each row: dead tuples on `tasks`
    if not store.db.is_sqlite:
        await until_dead(store, "tasks", RetentionSettings().vacuum_rows)
    before = await vacuum_counts(store) if not store.db.is_sqlite else {}
    await only.tick(time.time())
    await only.resign()  # waits for the vacuum the tick started
    if store.db.is_sqlite:
        assert sample(m, "swarmstack_store_vacuums_total") == 0  # pages go back in rounds
        return
    assert (sample(m, "swarmstack_store_vacuums_total") or 0) >= 1
    assert (await vacuum_counts(store))["tasks"] == before["tasks"] + 1


async def test_the_leader_analyses_a_table_at_most_once_per_analyze_interval(
    store: Store,
) -> None:
    if store.db.is_sqlite:
        pytest.skip("PostgreSQL's ANALYZE")
    m = Metrics()
    only = leader(store, m, "m1", RetentionSettings(analyze_interval=3600))
    async with store.db.write() as conn:
        await conn.execute(text("ANALYZE"))  # the counts of earlier tests start afresh
    before = await analyze_counts(store)
    await only.tick(time.time())  # nothing due yet, so the interval has not begun
    await only.resign()
    assert await analyze_counts(store) == before
    for round_ in (1, 2):
        await finished(store, n=100)
        await until_modified(store, "tasks", 100)
        await only.tick(time.time())
        await only.resign()  # waits for the vacuum and ANALYZE the tick started
        # the first round analyses `tasks`; the second, within the hour, does not
        assert (await analyze_counts(store))["tasks"] == before["tasks"] + 1, round_
