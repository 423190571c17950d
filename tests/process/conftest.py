"""Run swarmstack as OS processes, the way users do, and clean them up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.conftest import REPO


class Procs:
    """Started processes; all are killed at teardown."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[subprocess.Popen[str]] = []
        self.files: list[IO[str]] = []

    def start(
        self, *args: str, env: dict[str, str] | None = None, name: str = "proc"
    ) -> subprocess.Popen[str]:
        log = open(self.tmp / f"{name}-{len(self.started)}.log", "w")  # noqa: SIM115
        self.files.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "swarmstack", *args],
            cwd=REPO,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.started.append(proc)
        return proc

    def up(
        self,
        *args: str,
        key: str,
        env: dict[str, str] | None = None,
        data: Path | None = None,
        ready_s: float = 30.0,
    ) -> str:
        """`swarmstack up ARGS` on a free port with `key` as its admin key and its own data
        directory (`data`, else <tmp>/data); the base URL once /ready answers."""
        from tests.support.net import free_port

        port = free_port()
        self.start(
            "up",
            *args,
            "--port",
            str(port),
            "--data-dir",
            str(data or self.tmp / "data"),
            name="up",
            env={"SWARMSTACK_SECURITY__ADMIN_KEY": key, **(env or {})},
        )
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, timeout_s=ready_s)
        return url

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp.glob("*.log")))

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
        for log in self.files:
            log.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def own_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store of this test alone on each backend: a SQLite file, or a PostgreSQL database that
    is dropped afterwards (processes that outlive a test never share one)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    fresh: str = request.getfixturevalue("fresh_pg_url")
    return fresh


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    started = Procs(tmp_path)
    yield started
    started.stop_all()


def wait_ready(url: str, timeout_s: float = 30.0, path: str = "/ready") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + path, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url}{path} not ready within {timeout_s}s")


def wait_for_log(folder: Path, text: str, timeout_s: float = 60, count: int = 1) -> None:
    """Wait until `count` process logs in `folder` hold `text` (workers without HTTP say
    "claiming now" once they take tasks: a test that needs them busy waits for it)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if sum(text in p.read_text() for p in folder.glob("*.log")) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} processes logged {text!r} within {timeout_s:g}s")
