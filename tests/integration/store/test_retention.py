"""Retention on both backends: pruning by status and swarm, key expiry, event compaction, the
archive, dry runs, the PostgreSQL VACUUM of tables past their dead-tuple threshold after a round,
and EXPLAIN showing the prune and claim paths use an index. Time moves with
`tests.support.store_time.age`, never by sleeping."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from swarmstack.core.ids import TaskId, WorkerId, new_task_id
from swarmstack.core.records import NewTask, Outcome, OutcomeKind, TaskRecord
from swarmstack.core.retention import plan_of
from swarmstack.settings.models import RetentionSettings
from swarmstack.spec.retention import Retention
from swarmstack.store import Store
from swarmstack.store.archive import read_archive
from swarmstack.store.pruner import Limits, Pruner
from swarmstack.store.tables import task_attempts, task_events, tasks
from tests.support.pg_stats import until_dead, vacuum_counts
from tests.support.store_time import age

W = WorkerId("w1")
DAY = 86400.0
SETTINGS = RetentionSettings()  # succeeded 7 d, failed 30 d, other 7 d, keys 24 h, events 1 h


async def finished(
    store: Store,
    kind: OutcomeKind = OutcomeKind.SUCCEEDED,
    n: int = 1,
    swarm: str = "s",
    key: str | None = None,
    steps: int = 3,
) -> list[TaskId]:
    """`n` tasks run to `kind`, each with `steps` step events and (if failed) one attempt row."""
    batch = [
        NewTask(new_task_id(), swarm, {"i": i}, 5, 1, 30.0, "t", time.time(), idempotency_key=key)
        for i in range(n)
    ]
    ids = [s.id for s in await store.tasks.submit_many(batch) if isinstance(s, TaskRecord)]
    claimed = await store.claims.claim(W, [swarm], n, time.time(), 30)
    steps_of = [(t.id, f"step_{k}", {"k": k}, time.time()) for t in claimed for k in range(steps)]
    await store.events.append(steps_of)
    await store.claims.record(
        [Outcome(t.id, W, t.attempts, kind, time.time(), result="ok", error="x") for t in claimed]
    )
    return ids


async def rows(store: Store, table: object, task_ids: list[TaskId]) -> int:
    column = tasks.c.id if table is tasks else table.c.task_id  # type: ignore[attr-defined]
    async with store.db.read() as conn:
        query = select(func.count()).select_from(table).where(column.in_(task_ids))  # type: ignore[arg-type]
        return int((await conn.execute(query)).scalar() or 0)


def pruner(store: Store, **limits: int) -> Pruner:
    return Pruner(store.db, Limits(**limits), keys=store.keyring)


async def test_finished_tasks_go_after_their_window_with_attempts_and_events(store: Store) -> None:
    ok = await finished(store)
    bad = await finished(store, OutcomeKind.FAILED)
    await age(store, 8 * DAY)
    report = await pruner(store).run(plan_of(SETTINGS, {}))
    assert report.removed.tasks == 1
    assert await rows(store, tasks, ok) == 0
    assert await rows(store, task_events, ok) == 0
    assert await rows(store, tasks, bad) == 1  # the dead letter is kept 30 days
    await age(store, 23 * DAY)
    await pruner(store).run(plan_of(SETTINGS, {}))
    assert await rows(store, tasks, bad) == 0
    assert await rows(store, task_attempts, bad) == 0


async def test_young_and_unfinished_tasks_stay(store: Store) -> None:
    young = await finished(store)
    queued = [s.id for s in await store.tasks.submit_many([_new("s")]) if isinstance(s, TaskRecord)]
    await age(store, 6 * DAY)
    report = await pruner(store).run(plan_of(SETTINGS, {}))
    assert report.removed.tasks == 0
    assert await rows(store, tasks, young + queued) == 2


async def test_a_swarms_spec_overrides_the_settings(store: Store) -> None:
    short = await finished(store, swarm="short")
    other = await finished(store, swarm="other")
    await age(store, 2 * DAY)
    plan = plan_of(SETTINGS, {"short": Retention(succeeded=DAY), "other": None})
    await pruner(store).run(plan)
    assert await rows(store, tasks, short) == 0
    assert await rows(store, tasks, other) == 1


async def test_a_round_is_bounded_and_the_next_goes_on(store: Store) -> None:
    ids = await finished(store, n=7)
    await age(store, 8 * DAY)
    first = await pruner(store, batch_size=2, max_batches=2).run(plan_of(SETTINGS, {}))
    assert (first.removed.tasks, first.busy) == (4, True)
    second = await pruner(store, batch_size=2, max_batches=2).run(plan_of(SETTINGS, {}))
    assert (second.removed.tasks, second.busy) == (3, False)
    assert await rows(store, tasks, ids) == 0


async def test_idempotency_keys_are_cleared_after_their_window(store: Store) -> None:
    ids = await finished(store, key="order-1")
    await age(store, 2 * DAY)
    report = await pruner(store).run(plan_of(SETTINGS, {}))
    assert report.keys_expired == 1
    assert (await store.tasks.get(ids[0])).idempotency_key is None
    again = await store.tasks.submit_many([_new("s", key="order-1")])
    assert isinstance(again[0], TaskRecord)
    assert again[0].id != ids[0]


async def test_old_step_events_fold_into_one_summary(store: Store) -> None:
    ids = await finished(store, steps=5)
    before = await store.events.after(ids[0])
    await age(store, 2 * 3600)
    report = await pruner(store).run(plan_of(SETTINGS, {}))
    after = await store.events.after(ids[0])
    assert (report.tasks_compacted, report.events_compacted) == (1, 4)
    assert [e.type for e in after] == ["started", "compacted", "succeeded"]
    assert after[1].id == next(e.id for e in before if e.type == "step_0")
    assert after[1].data["events"] == 5
    assert after[1].data["types"] == {f"step_{k}": 1 for k in range(5)}
    again = await pruner(store).run(plan_of(SETTINGS, {}))
    assert again.tasks_compacted == 0


async def test_the_archive_holds_what_was_deleted(store: Store, tmp_path: Path) -> None:
    ids = await finished(store, OutcomeKind.FAILED, n=3)
    await age(store, 31 * DAY)
    report = await Pruner(store.db, Limits(), tmp_path, store.keyring).run(plan_of(SETTINGS, {}))
    assert report.archived == 3
    assert await rows(store, tasks, ids) == 0
    files, leftovers = archive_files(tmp_path)
    assert [str(f) for f in files] == report.files
    assert leftovers == []
    archived = [line for f in files for line in read_archive(f)]
    assert sorted(a["task"]["id"] for a in archived) == sorted(ids)
    assert all(a["attempts"] and a["events"] for a in archived)


def archive_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The archive's files, and temporary files left behind."""
    return sorted(folder.glob("*/*.jsonl.gz")), sorted(folder.glob("*/*.tmp"))


async def test_a_dry_run_counts_and_changes_nothing(store: Store) -> None:
    ids = await finished(store, n=2) + await finished(store, key="k")
    await age(store, 8 * DAY)
    report = await pruner(store).dry_run(plan_of(SETTINGS, {}))
    assert (report.removed.tasks, report.keys_expired, report.tasks_compacted) == (3, 1, 3)
    assert await rows(store, tasks, ids) == 3
    assert (await store.tasks.get(ids[2])).idempotency_key == "k"


async def test_postgresql_rounds_end_with_a_vacuum_of_tables_past_the_threshold(
    store: Store,
) -> None:
    if store.db.is_sqlite:
        pytest.skip("PostgreSQL's VACUUM; SQLite runs incremental_vacuum after every round")
    before = await vacuum_counts(store)
    await finished(store, n=30)
    await age(store, 8 * DAY)
    await until_dead(store, "tasks", 30)  # the outcome's updates, seen by the statistics
    report = await pruner(store, vacuum_rows=30).run(plan_of(SETTINGS, {}))
    assert report.removed.tasks == 30
    after = await vacuum_counts(store)
    assert after["tasks"] == before["tasks"] + 1, (before, after)


async def test_postgresql_vacuum_can_be_left_to_autovacuum(store: Store) -> None:
    if store.db.is_sqlite:
        pytest.skip("PostgreSQL's VACUUM")
    before = await vacuum_counts(store)
    await finished(store, n=3)
    await age(store, 8 * DAY)
    report = await pruner(store, vacuum_rows=0).run(plan_of(SETTINGS, {}))
    assert report.removed.tasks == 3
    assert await vacuum_counts(store) == before


def _new(swarm: str, key: str | None = None) -> NewTask:
    return NewTask(new_task_id(), swarm, {}, 5, 1, 30.0, "t", time.time(), idempotency_key=key)
