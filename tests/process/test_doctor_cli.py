"""`swarmstack doctor` as users run it: rows, a JSON record, and exit codes that mean
something."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.net import free_port

pytestmark = pytest.mark.process


def doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SWARMSTACK_", "REDIS"))}
    return subprocess.run(
        [sys.executable, "-m", "swarmstack", "doctor", *args],
        cwd=REPO,
        env={**clean, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_healthy_setup_passes_with_every_row_in_the_record(tmp_path: Path) -> None:
    done = doctor(
        "--json", "--data-dir", str(tmp_path), env={"REDIS_URL": "redis://127.0.0.1:6379/0"}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads(done.stdout)
    rows = {c["name"]: c for c in record["checks"]}
    expected = {"swarmstack", "python", "dependencies", "store", "redis", "cpus", "disk"}
    assert expected | {"memory", "end-to-end"} <= set(rows)
    assert rows["store"]["status"] == "warn"  # a fresh data dir: `up` creates the store
    assert rows["redis"]["data"]["version"][0].isdigit()
    assert rows["end-to-end"]["data"]["task_status"] == "succeeded"
    sources = {s["setting"]: s["source"] for s in record["settings"]}
    assert sources["data_dir"] == "command line"
    assert sources["redis.url"].endswith("REDIS_URL") or "REDIS" in sources["redis.url"]
    assert record["failed"] == 0 and record["warnings"] >= 1


def test_an_unreachable_service_fails_with_a_hint_and_exit_1(tmp_path: Path) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    done = doctor("--no-smoke", "--data-dir", str(tmp_path), env={"REDIS_URL": url})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "fail" in done.stdout and "start Redis" in done.stdout
    assert "hunter2" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_spec_is_a_clear_error_not_a_traceback() -> None:
    done = doctor("--no-smoke", "no/such/spec.yaml")
    assert done.returncode == 1
    assert "no/such/spec.yaml" in done.stderr and "Traceback" not in done.stderr
