"""`swarmstack backup` and `restore` as users run them, beside a running `swarmstack up` that
keeps accepting tasks, on SQLite (--data-dir) and PostgreSQL (SWARMSTACK_STORE__URL)."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from swarmstack.store import open_store
from tests.conftest import spec_text
from tests.process.conftest import Procs, wait_ready
from tests.process.test_store_cli import cli
from tests.support.keys import OTHER_KEY, TEST_KEY, keyring_of_tests
from tests.support.net import free_port

pytestmark = pytest.mark.process
KEY = "ssk_backup_test_admin_key"
HEADERS = {"Authorization": f"Bearer {KEY}"}


def where(kind: str, folder: Path, pg: str | None) -> tuple[list[str], dict[str, str], str]:
    """CLI arguments, environment and store URL of a store of `kind` under `folder`."""
    env = {"SWARM_ENCRYPTION_KEY": TEST_KEY, "SWARMSTACK_SECURITY__ADMIN_KEY": KEY}
    if kind == "sqlite":
        return ["--data-dir", str(folder)], env, f"sqlite+aiosqlite:///{folder / 'swarmstack.db'}"
    assert pg is not None
    return [], {**env, "SWARMSTACK_STORE__URL": pg}, pg


class Submitter(threading.Thread):
    """Submits tasks until stopped; `accepted` holds (time answered, id) of each accepted."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.accepted, self.stop = base, list[tuple[float, str]](), threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, headers=HEADERS, timeout=30) as http:
            i = 0
            while not self.stop.is_set():
                answer = http.post("/api/v1/tasks", json={"swarm": "echo", "input": {"n": i}})
                if answer.status_code == 202:
                    self.accepted.append((time.monotonic(), answer.json()["id"]))
                i += 1


async def tasks_of(url: str, ids: list[str]) -> dict[str, tuple[str, object]]:
    store = await open_store(url, keyring=keyring_of_tests())
    try:
        return {t.id: (t.status.value, t.result) for t in await store.tasks.get_many(ids)}
    finally:
        await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_backup_under_load_restores_every_task_accepted_before_it(
    backend: str, procs: Procs, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    pg = request.getfixturevalue("fresh_pg_url") if backend == "postgresql" else None
    args, env, url = where(backend, tmp_path / "data", pg)
    spec = tmp_path / "echo.yaml"
    spec.write_text(spec_text("echo"))
    port = free_port()
    procs.start("up", str(spec), "--port", str(port), *args, env=env, name="up")
    base = f"http://127.0.0.1:{port}"
    wait_ready(base)
    load = Submitter(base)
    load.start()
    while len(load.accepted) < 50:
        time.sleep(0.05)
    began = time.monotonic()
    archive = tmp_path / "backup.tar"
    made = cli("backup", str(archive), "--json", *args, env=env)
    load.stop.set()
    load.join(timeout=30)
    assert made.returncode == 0, made.stderr
    before = [i for at, i in load.accepted if at < began]
    assert len(load.accepted) > len(before)  # tasks went on being accepted meanwhile
    report = json.loads(made.stdout)
    assert report["manifest"]["key_id"] == keyring_of_tests().current_kid

    source = asyncio.run(tasks_of(url, before))  # finished ones do not change any more
    restored_dir = tmp_path / "restored"
    done = cli(
        "restore",
        str(archive),
        "--json",
        "--data-dir",
        str(restored_dir),
        env={"SWARM_ENCRYPTION_KEY": TEST_KEY},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"]["tasks"] >= len(before)
    restored = asyncio.run(
        tasks_of(f"sqlite+aiosqlite:///{restored_dir / 'swarmstack.db'}", before)
    )
    assert set(restored) == set(before)
    assert any(status == "succeeded" for status, _ in restored.values())
    for task_id, (status, result) in restored.items():
        if status == "succeeded":
            assert source[task_id] == (status, result)


def test_refusals_are_clear_and_write_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    asyncio.run(_one_task(f"sqlite+aiosqlite:///{data / 'swarmstack.db'}"))
    env = {"SWARM_ENCRYPTION_KEY": TEST_KEY}
    archive = tmp_path / "b.tar"
    assert cli("backup", str(archive), "--data-dir", str(data), env=env).returncode == 0
    assert cli("backup", str(archive), "--data-dir", str(data), env=env).returncode == 2  # exists

    full = cli("restore", str(archive), "--data-dir", str(data), env=env)
    assert full.returncode == 1 and "not empty" in full.stderr and "--force" in full.stderr
    assert cli("restore", str(archive), "--force", "--data-dir", str(data), env=env).returncode == 0

    wrong = cli(
        "restore",
        str(archive),
        "--data-dir",
        str(tmp_path / "w"),
        env={"SWARM_ENCRYPTION_KEY": OTHER_KEY},
    )
    assert wrong.returncode == 1 and "a missing or wrong encryption key" in wrong.stderr
    assert not (tmp_path / "w").exists()

    with tarfile.open(archive) as tar:
        member = tar.getmember("tables/tasks.jsonl.gz.sealed")
    raw = bytearray(archive.read_bytes())
    raw[member.offset_data + member.size // 2] ^= 0xFF
    archive.write_bytes(bytes(raw))
    bad = cli("restore", str(archive), "--json", "--data-dir", str(tmp_path / "t"), env=env)
    assert bad.returncode == 1 and "checksum mismatch" in bad.stderr
    assert (
        "Traceback" not in bad.stderr and json.loads(bad.stdout)["error"]["code"] == "invalid-input"
    )
    assert not (tmp_path / "t").exists()

    junk = tmp_path / "junk.tar"
    junk.write_text("not a tar")
    assert "not a usable swarmstack backup" in cli("restore", str(junk), env=env).stderr
    missing = cli("restore", str(tmp_path / "nope.tar"), env=env)
    assert missing.returncode == 1 and "no backup at" in missing.stderr
    assert cli("restore", "--no-such-flag").returncode == 2


async def _one_task(url: str) -> None:
    from tests.integration.store.test_retention import finished

    store = await open_store(url, keyring=keyring_of_tests())
    try:
        await finished(store, n=3)
    finally:
        await store.close()


def _limited(limit: int) -> Callable[[], None]:
    def apply() -> None:  # in the child: writes past `limit` bytes fail (EFBIG), as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize(("backend", "limit"), [("sqlite", 32_768), ("postgresql", 300)])
def test_a_backup_that_cannot_be_written_names_the_archive_not_the_store(
    backend: str, limit: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """SQLite fails in the snapshot copy, PostgreSQL in the archive's files; both used to say
    "the task store is unavailable" with no fix."""
    pg = request.getfixturevalue("fresh_pg_url") if backend == "postgresql" else None
    args, env, url = where(backend, tmp_path / "data", pg)
    asyncio.run(_one_task(url))
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "swarmstack", "backup", str(out / "b.tar"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limited(limit),
    )
    assert done.returncode == 1, done.stderr
    assert f"cannot write the backup {out / 'b.tar'}" in done.stderr
    assert "Fix: choose a folder with room" in done.stderr
    assert "store is unavailable" not in done.stderr and "Traceback" not in done.stderr
    assert list(out.iterdir()) == []  # no partial archive, no temporary files


def test_restore_force_refuses_a_store_that_is_in_use(procs: Procs, tmp_path: Path) -> None:
    """--force used to drop the tables under a running `up` (its requests then failed with
    "no such table") and mix its writes into the restored rows."""
    data = tmp_path / "data"
    asyncio.run(_one_task(f"sqlite+aiosqlite:///{data / 'swarmstack.db'}"))
    env = {"SWARM_ENCRYPTION_KEY": TEST_KEY, "SWARMSTACK_SECURITY__ADMIN_KEY": KEY}
    archive = tmp_path / "b.tar"
    assert cli("backup", str(archive), "--data-dir", str(data), env=env).returncode == 0
    spec = tmp_path / "echo.yaml"
    spec.write_text(spec_text("echo"))
    port = free_port()
    up = procs.start("up", str(spec), "--port", str(port), "--data-dir", str(data), env=env)
    wait_ready(f"http://127.0.0.1:{port}")
    busy = cli("restore", str(archive), "--force", "--data-dir", str(data), env=env)
    assert busy.returncode == 1 and "the target store is in use" in busy.stderr, busy.stderr
    assert "Fix: stop every `swarmstack up`" in busy.stderr and "Traceback" not in busy.stderr
    assert httpx.get(f"http://127.0.0.1:{port}/api/v1/tasks", headers=HEADERS).status_code == 200
    up.send_signal(signal.SIGTERM)
    up.wait(timeout=40)
    done = cli("restore", str(archive), "--force", "--data-dir", str(data), env=env)
    assert done.returncode == 0, done.stderr


def test_backup_leaves_no_folder_behind_and_restore_makes_a_private_one(tmp_path: Path) -> None:
    """`backup --data-dir <typo>` used to create that folder while refusing; a store folder made
    by `restore` (or `store copy`) was world-readable where `up` makes its own 0700."""
    env = {"SWARM_ENCRYPTION_KEY": TEST_KEY}
    typo = tmp_path / "typo"
    missing = cli("backup", str(tmp_path / "b.tar"), "--data-dir", str(typo), env=env)
    assert missing.returncode == 1 and "no store at" in missing.stderr
    assert not typo.exists()

    data = tmp_path / "data"
    asyncio.run(_one_task(f"sqlite+aiosqlite:///{data / 'swarmstack.db'}"))
    assert cli("backup", str(tmp_path / "b.tar"), "--data-dir", str(data), env=env).returncode == 0
    new = tmp_path / "new" / "restored"
    done = cli("restore", str(tmp_path / "b.tar"), "--data-dir", str(new), env=env)
    assert done.returncode == 0, done.stderr
    assert new.stat().st_mode & 0o777 == 0o700
    copied = tmp_path / "copied"
    url = f"sqlite:///{copied / 'swarmstack.db'}"
    done = cli("store", "copy", f"sqlite:///{data / 'swarmstack.db'}", url, env=env)
    assert done.returncode == 0, done.stderr
    assert copied.stat().st_mode & 0o777 == 0o700
