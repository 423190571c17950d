"""`swarmstack loadtest` against a real `swarmstack up`, run as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.process.conftest import Procs, wait_ready
from tests.support.net import free_port

pytestmark = pytest.mark.process
KEY = "ssk_loadtest_process_key_0123456789abcdef"


def loadtest(url: str, *args: str, key: str = KEY) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmstack", "loadtest", "--url", url, *args],
        cwd=REPO,
        env={**os.environ, "SWARMSTACK_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.fixture
def manager(procs: Procs, tmp_path: Path) -> str:
    port = free_port()
    procs.start(
        "up",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "data"),
        name="up",
        env={"SWARMSTACK_SECURITY__ADMIN_KEY": KEY},
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    return url


def test_closed_loop_submits_with_an_html_report(manager: str, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    done = loadtest(
        manager, "--requests", "200", "--concurrency", "50", "--json", "--html", str(html)
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (record["requests"], record["errors"]["total"]) == (200, 0)
    submit = record["latency"]["submit"]
    assert 0 < submit["p50_ms"] <= submit["p90_ms"] <= submit["p99_ms"] <= submit["max_ms"]
    assert record["throughput_rps"] > 0 and record["client"]["cpu_ms_per_request"] > 0
    assert "<svg" in html.read_text()


def test_open_loop_with_wait_times_submit_to_result(manager: str) -> None:
    done = loadtest(manager, "--rate", "40", "--duration", "1s", "--wait", "--swarm", "triage")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "submit-to-result latency" in done.stdout
    assert "40 (40 succeeded)" in done.stdout
    assert "passed" in done.stdout


def test_errors_above_the_gate_exit_3_with_their_kind(manager: str) -> None:
    wrong = "ssk_not_the_key_000000000000000000000000"
    done = loadtest(manager, "--requests", "10", "--json", key=wrong)
    assert done.returncode == 3, done.stderr
    record = json.loads(done.stdout)
    assert record["errors"]["by_kind"] == {"http 401": 10}
    allowed = loadtest(manager, "--requests", "10", "--max-error-rate", "1", key=wrong)
    assert allowed.returncode == 0, allowed.stderr


def test_no_manager_and_bad_usage_are_one_line_errors() -> None:
    gone = loadtest(f"http://127.0.0.1:{free_port()}", "--requests", "5")
    assert gone.returncode == 1
    assert "cannot reach the manager" in gone.stderr and "Traceback" not in gone.stderr
    both = loadtest("http://127.0.0.1:1", "--requests", "5", "--duration", "1s")
    assert both.returncode == 2 and "not both" in both.stderr
