"""Secrets and settings reach a running node without a restart: SIGHUP re-reads them."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.process.conftest import Procs, wait_ready
from tests.support.net import free_port

pytestmark = pytest.mark.process
OLD, NEW = "ssk_reload_old_key_0123456789", "ssk_reload_new_key_0123456789"


def status_with(base: str, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.get(f"{base}/api/v1/tasks", headers=headers, timeout=5).status_code


def test_a_rotated_admin_key_file_applies_on_sighup(procs: Procs, tmp_path: Path) -> None:
    key_file = tmp_path / "admin-key"
    key_file.write_text(OLD)
    port = free_port()
    proc = procs.start(
        "up",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "data"),
        name="up",
        env={"SWARMSTACK_SECURITY__ADMIN_KEY_FILE": str(key_file)},
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(base)
    assert status_with(base, OLD) == 200
    key_file.write_text(NEW)  # as a Secret mounted as a file is updated in place
    proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30  # verified keys are cached for a few seconds
    while time.monotonic() < deadline and status_with(base, OLD) != 401:
        time.sleep(0.2)
    assert status_with(base, NEW) == 200
    assert status_with(base, OLD) == 401
    assert proc.poll() is None  # the node kept running
    assert "settings re-read on SIGHUP" in procs.logs()
