"""`swarmstack store stats|prune` as users run them, on SQLite (--data-dir) and PostgreSQL
(SWARMSTACK_STORE__URL); old tasks are made old with the store-time helpers, not by waiting."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from swarmstack.core.records import OutcomeKind
from swarmstack.store import open_store
from tests.conftest import REPO, pg_query
from tests.integration.store.test_retention import DAY, finished
from tests.support.keys import TEST_KEY
from tests.support.store_time import age

pytestmark = pytest.mark.process


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmstack", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def old_tasks(url: str) -> None:
    """Two succeeded tasks 8 days old, one failed 8 days old (kept: 30 days), one fresh."""
    store = await open_store(url)
    try:
        ids = await finished(store, n=2) + await finished(store, OutcomeKind.FAILED)
        await age(store, 8 * DAY, ids)
        await finished(store)
    finally:
        await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    """CLI arguments and environment naming the store of each backend."""
    if request.param == "sqlite":
        data = tmp_path / "data"
        asyncio.run(old_tasks(f"sqlite+aiosqlite:///{data / 'swarmstack.db'}"))
        return ["--data-dir", str(data)], {"SWARM_ENCRYPTION_KEY": TEST_KEY}
    url = request.getfixturevalue("fresh_pg_url")
    asyncio.run(old_tasks(url))
    return [], {"SWARMSTACK_STORE__URL": url, "SWARM_ENCRYPTION_KEY": TEST_KEY}


def test_stats_dry_run_and_prune(where: tuple[list[str], dict[str, str]], tmp_path: Path) -> None:
    args, env = where
    stats = cli("store", "stats", "--json", "--exact", *args, env=env)
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    rows = {t["name"]: t["rows"] for t in data["store"]["tables"]}
    assert rows["tasks"] == 4
    assert data["due"]["tasks_deleted"] == 2
    assert set(data["store"]["oldest_finished_at"]) == {"succeeded", "failed"}

    dry = cli("store", "prune", "--dry-run", "--json", *args, env=env)
    assert json.loads(dry.stdout)["tasks_deleted"] == 2

    archive = tmp_path / "archive"
    env = {**env, "SWARMSTACK_RETENTION__ARCHIVE_DIR": str(archive)}
    done = cli("store", "prune", "--json", *args, env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["tasks_deleted"], report["tasks_archived"]) == (2, 2)
    with gzip.open(report["archive_files"][0], "rt") as lines:
        assert len(lines.readlines()) == 2
    after = json.loads(cli("store", "stats", "--json", "--exact", *args, env=env).stdout)
    assert {t["name"]: t["rows"] for t in after["store"]["tables"]}["tasks"] == 2

    human = cli("store", "stats", *args, env=env)
    assert human.returncode == 0 and "task_events" in human.stdout
    keyless = {k: v for k, v in env.items() if k != "SWARM_ENCRYPTION_KEY"}
    assert cli("store", "stats", "--json", *args, env=keyless).returncode == 0
    refused = cli("store", "prune", *args, env=keyless)  # compaction would write event data
    assert refused.returncode == 1 and "no encryption key is set" in refused.stderr


def test_usage_errors_exit_2_and_store_errors_exit_1(tmp_path: Path) -> None:
    assert cli("store", "prune", "--no-such-flag").returncode == 2
    bad = cli("store", "stats", env={"SWARMSTACK_STORE__URL": "mysql://x@y/z"})
    assert bad.returncode == 1
    assert "not supported" in bad.stderr
    assert "Usage" in cli("store", "prune", "-h").stdout


MAINTENANCE = [["rotate-admin-key"], ["store", "stats"], ["store", "prune"]]


@pytest.mark.parametrize("command", MAINTENANCE, ids=[" ".join(c) for c in MAINTENANCE])
def test_maintenance_refuses_a_missing_sqlite_store(command: list[str], tmp_path: Path) -> None:
    typo = tmp_path / "no-such-dir"
    done = cli(*command, "--data-dir", str(typo))
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""  # no key that works nowhere
    assert f"no store at {typo / 'swarmstack.db'}" in done.stderr
    assert "--data-dir" in done.stderr
    assert not typo.exists()  # nothing created, not even the directory


@pytest.mark.parametrize("command", MAINTENANCE, ids=[" ".join(c) for c in MAINTENANCE])
def test_maintenance_refuses_a_database_without_a_store(
    command: list[str], fresh_pg_url: str
) -> None:
    done = cli(*command, env={"SWARMSTACK_STORE__URL": fresh_pg_url})
    assert done.returncode == 1, done.stderr
    assert "holds no swarmstack store" in done.stderr
    assert pg_query(fresh_pg_url, "SELECT to_regclass('tasks')") == [(None,)]
