"""`swarmstack up` as a user runs it: the banner's curl line works; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.process.conftest import Procs, wait_ready
from tests.support.net import free_port

pytestmark = pytest.mark.process


def banner_of(procs: Procs, pattern: str, timeout_s: float = 30.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = procs.logs()
        if re.search(pattern, text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"no {pattern!r} in output:\n{procs.logs()}")


def test_up_prints_a_curl_line_that_works(procs: Procs, tmp_path: Path) -> None:
    port = free_port()
    proc = procs.start(
        "up",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "data"),
        name="up",
        env={"COLUMNS": "300"},
    )
    text = banner_of(procs, r"curl -s .*")
    wait_ready(f"http://127.0.0.1:{port}")
    key = re.search(r"ssk_[\w-]+", text)
    assert key is not None, text
    curl = re.search(r"^\s*(curl -s .*)$", text, re.MULTILINE)
    assert curl is not None
    run = subprocess.run(
        ["bash", "-c", curl.group(1)], capture_output=True, text=True, check=True, timeout=30
    )
    task = json.loads(run.stdout)
    assert task["status"] == "succeeded"
    assert task["result"]["queue"] == "access-p1"
    assert "swarmstack.db" in text and key.group(0) not in (tmp_path / "data").joinpath(
        "swarmstack.db"
    ).read_bytes().decode("latin-1")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_second_start_keeps_the_key_and_the_tasks(procs: Procs, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    port = free_port()
    first = procs.start(
        "up", "--port", str(port), "--data-dir", data, name="first", env={"COLUMNS": "300"}
    )
    text = banner_of(procs, r"ssk_[\w-]+")
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    procs.start(
        "up", "--port", str(port), "--data-dir", data, name="second", env={"COLUMNS": "300"}
    )
    wait_ready(f"http://127.0.0.1:{port}")
    assert text.count("ssk_") >= 1
    assert "shown once" not in (tmp_path / "second-1.log").read_text()


def test_bad_spec_fails_fast_with_exit_1(procs: Procs, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nagents:\n  a: {kind: python, entrypoint: 'nope.mod:f'}\n")
    proc = procs.start(
        "up",
        str(bad),
        "--port",
        str(free_port()),
        "--data-dir",
        str(tmp_path / "d"),
        name="bad",
        env={"COLUMNS": "300"},
    )
    assert proc.wait(timeout=30) == 1
    output = procs.logs()
    assert "cannot import module 'nope.mod'" in output
    assert "Traceback" not in output


def test_up_with_worker_processes_runs_tasks_and_stops_them(procs: Procs, tmp_path: Path) -> None:
    port = free_port()
    key = "ssk_worker_processes_key"
    proc = procs.start(
        "up",
        "--workers",
        "2",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "data"),
        name="up",
        env={"COLUMNS": "300", "SWARMSTACK_SECURITY__ADMIN_KEY": key},
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    headers = {"Authorization": f"Bearer {key}"}
    texts = [f"refund for invoice {n} please" for n in range(20)]
    results = [
        httpx.post(
            f"{url}/api/v1/tasks",
            params={"wait": 20},
            headers=headers,
            json={"swarm": "triage", "input": {"text": text}},
            timeout=30,
        ).json()
        for text in texts
    ]
    assert [r["status"] for r in results] == ["succeeded"] * len(texts)
    assert {r["result"]["topic"] for r in results} == {"billing"}
    status = subprocess.run(
        [sys.executable, "-m", "swarmstack", "status", "--url", url, "--api-key", key],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    assert "leader" in status and "workers: 2" in status, status
    assert status.count("triage@") >= 2, status  # each worker with the version it runs
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert len(children) == 2, f"expected two worker processes, found {children}"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in children), "workers outlived `up`"


def test_later_starts_print_a_curl_line_that_works_with_the_exported_key(
    procs: Procs, tmp_path: Path
) -> None:
    data, port = str(tmp_path / "data"), free_port()
    args = ("up", "--port", str(port), "--data-dir", data)
    first = procs.start(*args, name="first", env={"COLUMNS": "300"})
    key = re.search(r"ssk_[\w-]+", banner_of(procs, r"ssk_[\w-]+")).group(0)  # type: ignore[union-attr]
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    second = procs.start(*args, name="second", env={"COLUMNS": "300"})
    wait_ready(f"http://127.0.0.1:{port}")
    text = banner_of(procs, r"Bearer \$SWARMSTACK_API_KEY")
    assert "rotate-admin-key" in text and "SWARMSTACK_SECURITY__ADMIN_KEY" in text
    curl = re.findall(r"^\s*(curl -s .*)$", text, re.MULTILINE)[-1]
    run = subprocess.run(
        ["bash", "-c", curl],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={**os.environ, "SWARMSTACK_API_KEY": key},
    )
    assert json.loads(run.stdout)["status"] == "succeeded"
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0
    assert "httpx" not in procs.logs()


def test_a_key_from_the_environment_is_never_printed_and_replaces_the_earlier_one(
    procs: Procs, tmp_path: Path
) -> None:
    data, port = str(tmp_path / "data"), free_port()
    args = ("up", "--port", str(port), "--data-dir", data)
    first = procs.start(*args, name="first", env={"COLUMNS": "300"})
    old = re.search(r"ssk_[\w-]+", banner_of(procs, r"ssk_[\w-]+")).group(0)  # type: ignore[union-attr]
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    mine = "ssk_from_the_environment_0123456789"
    env = {"COLUMNS": "300", "SWARMSTACK_SECURITY__ADMIN_KEY": mine}
    for name in ("env-a", "env-b"):  # every start, not only the first
        proc = procs.start(*args, name=name, env=env)
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        ok = httpx.get(f"{url}/api/v1/tasks", headers={"Authorization": f"Bearer {mine}"})
        assert ok.status_code == 200
        gone = httpx.get(f"{url}/api/v1/tasks", headers={"Authorization": f"Bearer {old}"})
        assert gone.status_code == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    logs = procs.logs()
    assert mine not in logs
    assert logs.count("shown once") == 1  # the first start's generated key only
    rotated = subprocess.run(
        [sys.executable, "-m", "swarmstack", "rotate-admin-key", "--data-dir", data],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert re.fullmatch(r"ssk_[\w-]+\n", rotated.stdout)
    assert "1 earlier admin key(s) revoked" in rotated.stderr


def test_worker_processes_are_woken_across_processes_not_by_polling(
    procs: Procs, tmp_path: Path
) -> None:
    """SQLite has no LISTEN/NOTIFY: the manager wakes worker processes over Unix datagrams.
    With the workers' idle poll at 10 minutes, every task still finishes within its wait."""
    key = "ssk_cross_process_wake_up"
    url = procs.up("--workers", "1", key=key, env={"SWARMSTACK_WORKER__POLL_INTERVAL": "600"})
    time.sleep(1.0)  # let the worker's first claim find the queue empty and go idle
    for n in range(5):
        answer = httpx.post(
            f"{url}/api/v1/tasks",
            params={"wait": 20},
            headers={"Authorization": f"Bearer {key}"},
            json={"swarm": "triage", "input": {"text": f"refund for invoice {n}"}},
            timeout=30,
        ).json()
        assert answer["status"] == "succeeded", answer


def test_worker_processes_stop_when_up_is_killed(procs: Procs, tmp_path: Path) -> None:
    """`up` killed with SIGKILL cannot stop its workers; they notice and stop themselves."""
    procs.up("--workers", "1", key="ssk_orphan_check_key")
    proc = procs.started[-1]
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert len(children) == 1, children
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 20
    while Path(f"/proc/{children[0]}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{children[0]}").exists(), "the worker outlived a killed `up`"
