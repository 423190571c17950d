"""`swarmstack loadtest` against a real `swarmstack up`, run as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.process.conftest import Procs
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
    url = procs.up(key=KEY)
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


def test_every_request_failing_the_same_way_says_why_in_the_managers_words(
    manager: str, tmp_path: Path
) -> None:
    """An unknown swarm used to show only `http 404` (and the 401 hint) for 1,000 requests."""
    done = loadtest(manager, "--requests", "5", "--swarm", "nope")
    assert done.returncode == 3
    assert "http 404 from the manager: no swarm named 'nope'" in done.stderr, done.stderr
    record = json.loads(loadtest(manager, "--requests", "5", "--swarm", "nope", "--json").stdout)
    assert "no swarm named 'nope'" in record["errors"]["details"]["http 404"]


def test_an_html_report_that_cannot_be_written_is_refused_before_the_run(tmp_path: Path) -> None:
    """It used to be found out only after the whole run; no manager is needed to refuse it."""
    for html in (tmp_path / "no" / "such" / "load.html", tmp_path):
        done = loadtest("http://127.0.0.1:1", "--requests", "5", "--html", str(html))
        assert done.returncode == 2 and "--html" in done.stderr, done.stderr
        assert "cannot reach the manager" not in done.stderr
