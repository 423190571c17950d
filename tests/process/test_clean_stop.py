"""Processes stop cleanly: no asyncio "Task was destroyed but it is pending!" (a connection
dropped without being awaited), no request logs of httpx at info, and JSON logs on request."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from tests.process.conftest import Procs, wait_ready
from tests.support.net import free_port

pytestmark = pytest.mark.process
KEY = "ssk_clean_stop_key"


def test_up_with_worker_processes_stops_without_pending_tasks(procs: Procs, tmp_path: Path) -> None:
    port = free_port()
    env = {"SWARMSTACK_SECURITY__ADMIN_KEY": KEY, "SWARMSTACK_LOG_FORMAT": "json"}
    proc = procs.start(
        "up", "--port", str(port), "--workers", "1", "--data-dir", str(tmp_path / "d"), env=env
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}) as client:
        body = {"input": {"text": "printer on fire"}}
        answer = client.post("/api/v1/tasks?wait=30", json=body, timeout=40)
    assert answer.json()["status"] == "succeeded"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    output = procs.logs()
    assert "Task was destroyed" not in output, output
    assert "HTTP Request:" not in output, output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines, output
    assert {"time", "level", "logger", "message"} <= set(lines[0])
