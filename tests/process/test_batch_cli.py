"""`swarmstack tasks submit-batch FILE` as users run it against a real `up`: every line stored
in batches, refused lines named, malformed files refused before anything is sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.process.conftest import Procs

pytestmark = pytest.mark.process
KEY = "ssk_batch_cli_admin_key"


def cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SWARMSTACK_URL": url, "SWARMSTACK_API_KEY": KEY, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "swarmstack", "tasks", "submit-batch", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def count(url: str) -> int:
    page = httpx.get(
        f"{url}/api/v1/tasks", params={"limit": 500}, headers={"Authorization": f"Bearer {KEY}"}
    ).json()
    return len(page["items"])


def test_a_file_of_tasks_is_submitted_in_batches(procs: Procs, tmp_path: Path) -> None:
    url = procs.up(key=KEY)
    lines = [json.dumps({"swarm": "triage", "input": {"text": f"invoice {n}"}}) for n in range(250)]
    lines[7] = json.dumps({"swarm": "nosuch", "input": {"text": "x"}})
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("\n".join(lines) + "\n\n")

    done = cli(str(tasks), "--batch-size", "100", "--json", url=url)
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["tasks"], summary["accepted"]) == (250, 249)
    assert [(r["line"], r["status"]) for r in summary["refused"]] == [(8, 404)]
    assert count(url) == 249

    bad = tmp_path / "bad.jsonl"
    bad.write_text(lines[0] + "\n{not json\n")
    refused = cli(str(bad), url=url)
    assert refused.returncode == 2
    assert "line 2 is not JSON" in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
    assert count(url) == 249  # nothing of the malformed file was sent

    missing = cli(str(tmp_path / "nope.jsonl"), url=url)
    assert missing.returncode == 2 and "cannot read" in missing.stderr + missing.stdout


def test_bodies_too_large_are_split_and_a_task_too_large_is_named(
    procs: Procs, tmp_path: Path
) -> None:
    url = procs.up(key=KEY, env={"SWARMSTACK_SERVER__MAX_BODY_BYTES": "16384"})
    lines = [json.dumps({"swarm": "triage", "input": {"text": "x" * 1000}}) for _ in range(40)]
    lines[20] = json.dumps({"swarm": "triage", "input": {"text": "y" * 20000}})
    tasks = tmp_path / "big.jsonl"
    tasks.write_text("\n\n".join(lines) + "\n")  # a blank line between tasks: line n is 2n-1

    done = cli(str(tasks), "--json", url=url)  # one request by size, refused, then halved
    assert done.returncode == 1, done.stdout + done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["tasks"], summary["accepted"]) == (40, 39)
    assert [(r["line"], r["status"]) for r in summary["refused"]] == [(41, 413)]
    assert count(url) == 39


def test_a_run_stopped_part_way_names_the_line_to_resume_from(procs: Procs, tmp_path: Path) -> None:
    url = procs.up(key=KEY)
    lines = [json.dumps({"swarm": "triage", "input": {"text": f"n {n}"}}) for n in range(30)]
    lines[25] = json.dumps({"swarm": "triage", "input": {"text": "z"}, "bogus": 1})
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("\n".join(lines) + "\n")

    stopped = cli(str(tasks), "--batch-size", "10", url=url)
    assert stopped.returncode == 3, stopped.stdout + stopped.stderr
    assert "line 26" in stopped.stdout  # the file's line, not the request's index
    assert "resume with --from-line 21" in stopped.stdout
    assert count(url) == 20

    lines[25] = json.dumps({"swarm": "triage", "input": {"text": "z"}})
    tasks.write_text("\n".join(lines) + "\n")
    resumed = cli(str(tasks), "--from-line", "21", "--json", url=url)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert json.loads(resumed.stdout.strip().splitlines()[-1])["accepted"] == 10
    assert count(url) == 30
