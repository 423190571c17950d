"""`swarmstack store copy` as users run it: a SQLite deployment into PostgreSQL and back, with
passwords never printed, clear refusals of bad URLs and unreachable stores, and a relative
SQLite path reported as the absolute file it opened."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.process.test_backup_cli import _one_task
from tests.process.test_store_cli import cli
from tests.support.keys import TEST_KEY
from tests.support.net import free_port

pytestmark = pytest.mark.process
SECRET = "hunter2-not-shown"


def with_password(url: str) -> str:
    return url.replace("postgresql+asyncpg://postgres@", f"postgresql://postgres:{SECRET}@")


def exact_rows(env: dict[str, str]) -> dict[str, int]:
    done = cli("store", "stats", "--json", "--exact", env={"SWARM_ENCRYPTION_KEY": TEST_KEY, **env})
    assert done.returncode == 0, done.stderr
    return {t["name"]: t["rows"] for t in json.loads(done.stdout)["store"]["tables"]}


def test_sqlite_to_postgresql_and_back(tmp_path: Path, fresh_pg_url: str) -> None:
    db = tmp_path / "data" / "swarmstack.db"
    asyncio.run(_one_task(f"sqlite+aiosqlite:///{db}"))
    pg = with_password(fresh_pg_url)
    there = cli("store", "copy", f"sqlite:///{db}", pg, "--json")
    assert there.returncode == 0, there.stderr
    summary = json.loads(there.stdout)
    assert summary["verified"] and summary["rows"] > 0
    assert SECRET not in there.stdout + there.stderr and "***" in summary["target"]
    sqlite_rows = exact_rows({"SWARMSTACK_STORE__URL": f"sqlite+aiosqlite:///{db}"})
    assert exact_rows({"SWARMSTACK_STORE__URL": fresh_pg_url}) == sqlite_rows

    back = tmp_path / "back.db"
    human = cli("store", "copy", pg, f"sqlite:///{back}", env={"COLUMNS": "200"})
    assert human.returncode == 0, human.stderr
    assert "verified" in human.stdout and "tasks" in human.stdout
    assert SECRET not in human.stdout + human.stderr
    again = cli("store", "copy", f"sqlite:///{db}", pg)
    assert again.returncode == 1 and "already holds data" in again.stderr


def test_bad_urls_and_unreachable_stores(tmp_path: Path) -> None:
    db = tmp_path / "data" / "swarmstack.db"
    asyncio.run(_one_task(f"sqlite+aiosqlite:///{db}"))
    src = f"sqlite:///{db}"
    assert cli("store", "copy", "mysql://u@h/d", src).returncode == 2
    assert cli("store", "copy", "::not a url::", src).returncode == 2
    assert cli("store", "copy", src, src).returncode == 2
    missing = cli("store", "copy", f"sqlite:///{tmp_path / 'none.db'}", "sqlite:///x.db")
    assert missing.returncode == 1 and "no store at" in missing.stderr
    down = f"postgresql://postgres:{SECRET}@127.0.0.1:{free_port()}/nowhere"
    refused = cli("store", "copy", src, down, "--json")
    assert refused.returncode == 1 and "unavailable" in refused.stderr
    assert SECRET not in refused.stdout + refused.stderr and "Traceback" not in refused.stderr


def test_a_database_that_refuses_or_is_missing_says_what_to_fix(tmp_path: Path) -> None:
    """`store copy` into a database that does not exist said "the store refused a value ...
    a swarmstack bug", and `up` on it the same; `up` now stops at once instead of waiting."""
    db = tmp_path / "data" / "swarmstack.db"
    asyncio.run(_one_task(f"sqlite+aiosqlite:///{db}"))
    missing = "postgresql://postgres@127.0.0.1:5432/no_such_database_for_copy"
    done = cli("store", "copy", f"sqlite:///{db}", missing)
    assert done.returncode == 1, done.stderr
    assert 'database "no_such_database_for_copy" does not exist' in done.stderr
    assert "createdb" in done.stderr and "swarmstack bug" not in done.stderr
    env = {"SWARMSTACK_STORE__URL": missing.replace("://", "+asyncpg://")}
    up = cli("up", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"), env=env)
    assert up.returncode == 1 and "createdb" in up.stderr, up.stderr
    gone = f"postgresql://postgres@127.0.0.1:{free_port()}/x"
    done = cli("store", "copy", f"sqlite:///{db}", gone)
    assert done.returncode == 1 and "start the database server" in done.stderr, done.stderr


def copy_in(folder: Path, *urls: str) -> subprocess.CompletedProcess[str]:
    """`swarmstack store copy URLS` run in `folder`."""
    return subprocess.run(
        [sys.executable, "-m", "swarmstack", "store", "copy", *urls],
        cwd=folder,
        env={**os.environ, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_relative_sqlite_path_is_reported_as_the_file_opened(tmp_path: Path) -> None:
    db = tmp_path / "src.db"
    asyncio.run(_one_task(f"sqlite+aiosqlite:///{db}"))
    copied = copy_in(tmp_path, "sqlite:///src.db", "sqlite:///dst.db")
    assert copied.returncode == 0, copied.stderr
    said = " ".join(copied.stdout.split())
    target = tmp_path / "dst.db"
    assert f"copied sqlite+aiosqlite:///{db} into sqlite+aiosqlite:///{target}" in said
    assert target.exists()
    same = copy_in(tmp_path, "sqlite:///src.db", f"sqlite:///{db}")
    assert same.returncode == 2 and "name the same store" in same.stderr
