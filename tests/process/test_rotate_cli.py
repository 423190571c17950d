"""Encryption at rest as users meet it: `up` creates a private key file once and says so;
`serve` without a key, or with the wrong one, stops with a clear message; `keys rotate-data`
adds a key and re-encrypts while `up` serves, and no read fails meanwhile."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from swarmstack.security.crypto import key_id, kid_of, parse_key
from swarmstack.security.keyfile import read_keys
from tests.conftest import REPO, spec_text
from tests.process.conftest import Procs, wait_for_log, wait_ready
from tests.support.keys import OTHER_KEY, TEST_KEY
from tests.support.net import free_port

pytestmark = pytest.mark.process
ADMIN = "ssk_process_rotate_key"
HEADERS = {"Authorization": f"Bearer {ADMIN}"}


def swarmstack(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmstack", *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_up(procs: Procs, spec: Path, data: Path, name: str = "up") -> str:
    port = free_port()
    procs.start(
        "up", str(spec), "--port", str(port), "--data-dir", str(data), name=name,
        env={"COLUMNS": "300", "SWARMSTACK_SECURITY__ADMIN_KEY": ADMIN},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    # the banner is printed once the server is up, so it may follow /ready by a moment
    wait_for_log(procs.tmp, "encrypted at rest", timeout_s=30)
    return url


def submit(url: str, count: int) -> list[str]:
    done = [
        httpx.post(
            f"{url}/api/v1/tasks?wait=20",
            json={"swarm": "echo", "input": {"n": n}},
            headers=HEADERS,
            timeout=30,
        ).json()
        for n in range(count)
    ]
    assert [d["status"] for d in done] == ["succeeded"] * count
    return [d["id"] for d in done]


def stored_kids(db: Path) -> set[str | None]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT input, result FROM tasks").fetchall()
        rows += conn.execute("SELECT data, NULL FROM task_events").fetchall()
    return {kid_of(v) for row in rows for v in row if v is not None}


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "echo.yaml"
    path.write_text(spec_text("echo", "tests.support.agents:echo"))
    return path


def test_up_creates_a_private_key_once_and_says_so(
    procs: Procs, spec: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = start_up(procs, spec, data, "first")
    key_file = data / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    [kid] = [key_id(parse_key(k, "test")) for k in read_keys(key_file)]
    logs = procs.logs()
    assert f"created the encryption key of task data at {key_file.resolve()}" in logs
    assert f"encrypted at rest (AES-256-GCM, key id {kid})" in logs
    submit(first, 2)
    assert stored_kids(data / "swarmstack.db") == {kid}
    procs.stop_all()
    procs.started.clear()
    for log in procs.tmp.glob("*.log"):
        log.unlink()
    second = start_up(procs, spec, data, "second")
    assert len(submit(second, 1)) == 1
    assert "created the encryption key" not in procs.logs()
    assert [key_id(parse_key(k, "test")) for k in read_keys(key_file)] == [kid]


def test_serve_without_a_key_stops_and_says_how_to_set_one(spec: Path, tmp_path: Path) -> None:
    env = {
        "SWARMSTACK_STORE__URL": f"sqlite+aiosqlite:///{tmp_path / 'store.db'}",
        "SWARM_MODE": "manager",
    }
    done = swarmstack("serve", str(spec), "--port", str(free_port()), env=env)
    assert done.returncode == 1
    assert "encryption at rest is on, but no encryption key is set" in done.stderr
    assert "SWARM_ENCRYPTION_KEY" in done.stderr and "openssl rand -base64 32" in done.stderr
    assert "SWARMSTACK_SECURITY__ENCRYPTION=false" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_wrong_key_stops_start_up_with_the_key_ids(
    procs: Procs, spec: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    submit(start_up(procs, spec, data), 1)
    procs.stop_all()
    kid = key_id(parse_key(read_keys(data / "encryption.key")[0], "test"))
    env = {
        "SWARMSTACK_STORE__URL": f"sqlite+aiosqlite:///{data / 'swarmstack.db'}",
        "SWARM_MODE": "manager",
        "SWARM_ENCRYPTION_KEY": OTHER_KEY,
    }
    done = swarmstack("serve", str(spec), "--port", str(free_port()), env=env)
    assert done.returncode == 1
    assert f"encrypted under key id(s) {kid}" in done.stderr
    assert "missing or wrong encryption key" in done.stderr
    assert OTHER_KEY not in done.stderr and "Traceback" not in done.stderr


def test_rotate_data_while_up_serves_and_every_read_succeeds(
    procs: Procs, spec: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    url = start_up(procs, spec, data)
    ids = submit(url, 30)
    key_file = data / "encryption.key"
    [old] = read_keys(key_file)
    statuses: list[int] = []
    stop = threading.Event()

    def read_all() -> None:
        with httpx.Client(base_url=url, headers=HEADERS, timeout=10) as client:
            while not stop.is_set():
                for n, task_id in enumerate(ids):
                    answer = client.get(f"/api/v1/tasks/{task_id}")
                    statuses.append(answer.status_code)
                    assert answer.json()["result"] == {"n": n}

    reader = threading.Thread(target=read_all)
    reader.start()
    try:
        done = swarmstack("keys", "rotate-data", "--data-dir", str(data), "--batch", "7", "--json",
                          env={"SWARMSTACK_STORE__URL": ""})  # fmt: skip
    finally:
        stop.set()
        reader.join(timeout=30)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    new_kid = report["key_id"]
    assert report["added_key"] is True and report["remaining"] == 0
    assert read_keys(key_file)[1:] == [old]  # the old key stays to decrypt
    assert new_kid != key_id(parse_key(old, "test"))
    assert statuses and set(statuses) == {200}
    assert stored_kids(data / "swarmstack.db") == {new_kid}
    submit(url, 1)  # the running node writes under the new key now
    assert stored_kids(data / "swarmstack.db") == {new_kid}


def test_rotate_data_with_a_configured_key_re_encrypts_under_it(
    procs: Procs, spec: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    submit(start_up(procs, spec, data), 3)
    procs.stop_all()
    old = read_keys(data / "encryption.key")[0]
    env = {"SWARM_ENCRYPTION_KEY": TEST_KEY, "SWARMSTACK_SECURITY__ENCRYPTION_PREVIOUS_KEYS": old}
    done = swarmstack("keys", "rotate-data", "--data-dir", str(data), env=env)
    assert done.returncode == 0, done.stderr
    assert "no key is added here" in done.stdout
    kid = key_id(parse_key(TEST_KEY, "test"))
    assert f"every value is encrypted under key id {kid}" in done.stdout
    assert stored_kids(data / "swarmstack.db") == {kid}
