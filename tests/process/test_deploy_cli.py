"""The deployment commands as a user runs them: deploy, deployments list|diff, rollout
status|promote|abort (--watch), rollback, with --json and exit codes; tasks submitted the moment
an abort returns all run on stable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from swarmstack.core.routing import choose
from tests.conftest import REPO, pg_query
from tests.process.conftest import Procs, wait_ready
from tests.support.keys import TEST_KEY
from tests.support.net import free_port

pytestmark = pytest.mark.process
KEY = "ssk_deploy_cli_key_0123456789"


def cli(base: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SWARMSTACK_URL": base, "SWARMSTACK_API_KEY": KEY, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "swarmstack", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_promote_and_roll_back_from_the_command_line(procs: Procs, tmp_path: Path) -> None:
    base = procs.up("examples/triage/swarm.yaml", key=KEY)
    source = (REPO / "examples/triage/swarm.yaml").read_text()
    v2 = tmp_path / "v2.yaml"
    v2.write_text(
        source.replace('release: "1.0.0"', 'release: "1.1.0"').replace(
            "steps: [{weight: 10, pause: 60s}, {weight: 50, pause: 60s}]",
            "steps: [{weight: 50, pause: {}}, {weight: 80, pause: 1s}]",
        )
    )
    deployed = cli(base, "deploy", str(v2), "--message", "louder", "--json")
    assert deployed.returncode == 0, deployed.stderr
    answer = json.loads(deployed.stdout)
    assert (answer["created"], answer["deployment"]["version"]) == (True, "1.1.0")
    listed = json.loads(cli(base, "deployments", "list", "--json").stdout)
    assert [d["version"] for d in listed] == ["1.1.0", "1.0.0"]
    diff = cli(base, "deployments", "diff", "triage@1.0.0", "triage@1.1.0")
    assert diff.returncode == 1  # they differ
    unknown = cli(base, "deployments", "diff", "triage@1.0.0", "triage@9.9.9")
    assert unknown.returncode == 1
    assert "`swarmstack deployments list --swarm triage`" in unknown.stderr, unknown.stderr
    assert "+release: 1.1.0" in diff.stdout
    status = json.loads(cli(base, "rollout", "status", "triage", "--json").stdout)
    assert (status["phase"], status["weight"]) == ("paused", 50)
    pinned = cli(base, "submit", "triage", '{"text": "hi"}', "--version", "1.1.0", "--wait")
    assert json.loads(pinned.stdout)["version"] == "1.1.0"
    assert cli(base, "rollout", "promote", "triage").returncode == 0
    watched = cli(base, "rollout", "status", "triage", "--watch", "--json")
    assert watched.returncode == 0, watched.stdout + watched.stderr  # ended healthy
    back = cli(base, "rollback", "triage", "--json")
    assert json.loads(back.stdout)["stable"] == "1.0.0"
    refused = cli(base, "rollout", "abort", "triage")
    assert refused.returncode == 1
    assert "409" in refused.stderr and "Fix:" in refused.stderr


def test_tasks_submitted_right_after_an_abort_all_finish_on_stable(
    procs: Procs, tmp_path: Path, fresh_pg_url: str
) -> None:
    """Two managers and a worker on PostgreSQL; the candidate needs code no worker carries, so
    a task left on it would wait for ever. Manager B started during the canary and re-reads
    routes only every minute: the tasks it routed to the candidate before the abort, and the
    batch it routes there right after `rollout abort` returns, all run on stable."""
    spec = tmp_path / "triage.yaml"
    source = (REPO / "examples/triage/swarm.yaml").read_text()
    spec.write_text(source)
    env = {
        "SWARMSTACK_STORE__URL": fresh_pg_url,
        "SWARMSTACK_SECURITY__ADMIN_KEY": KEY,
        "SWARM_ENCRYPTION_KEY": TEST_KEY,
    }
    a = _manager(procs, spec, env)
    procs.start("serve", str(spec), "--no-http", env={**env, "SWARM_MODE": "worker"})
    v2 = tmp_path / "v2.yaml"
    v2.write_text(
        source.replace('release: "1.0.0"', 'release: "1.2.0"').replace(
            "steps: [{weight: 10, pause: 60s}, {weight: 50, pause: 60s}]",
            "steps: [{weight: 50, pause: {}}]",
        )
    )
    deployed = cli(a, "deploy", str(v2), "--code-version", "image-2")
    assert deployed.returncode == 0, deployed.stderr
    b = _manager(procs, spec, {**env, "SWARMSTACK_SERVER__ROUTE_REFRESH": "60"})
    sessions = [f"user-{i}" for i in range(64)]
    canary = [s for s in sessions if choose(s, "1.0.0", "1.2.0", 50) == "1.2.0"]
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=b, headers=headers, timeout=30) as http:
        before = [_submit(http, s) for s in canary[:4]]
        assert {t["version"] for t in before} == {"1.2.0"}  # routed to the canary, queued
        aborted = cli(a, "rollout", "abort", "triage")
        assert aborted.returncode == 0, aborted.stderr
        tasks = [{"swarm": "triage", "input": TEXT, "session": s} for s in canary]
        answer = http.post("/api/v1/tasks/batch", json={"tasks": tasks})  # B's routes: canary
        assert answer.status_code == 200, answer.text
        after = [item["task"] for item in answer.json()["tasks"]]
        assert {t["version"] for t in after} == {"1.0.0"}  # the 202s name where they run
        done = _finished(http, [str(t["id"]) for t in before + after])
    assert {(t["status"], t["version"]) for t in done} == {("succeeded", "1.0.0")}
    rerouted = pg_query(fresh_pg_url, "SELECT count(*) FROM task_events WHERE type = 'rerouted'")
    assert rerouted == [(len(before) + len(after),)]


TEXT = {"text": "where is my order?"}


def _manager(procs: Procs, spec: Path, env: dict[str, str]) -> str:
    port = free_port()
    procs.start("serve", str(spec), "--port", str(port), env={**env, "SWARM_MODE": "manager"})
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, path="/health")
    return base


def _submit(http: httpx.Client, session: str) -> dict[str, object]:
    answer = http.post("/api/v1/tasks", json={"swarm": "triage", "input": TEXT, "session": session})
    assert answer.status_code == 202, answer.text
    task: dict[str, object] = answer.json()
    return task


def _finished(http: httpx.Client, ids: list[str]) -> list[dict[str, object]]:
    """The tasks once none is queued or running (fails after 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        done = [http.get(f"/api/v1/tasks/{i}").json() for i in ids]
        if all(t["status"] not in ("queued", "running") for t in done):
            return done
        assert time.monotonic() < deadline, [(t["status"], t["version"]) for t in done]
        time.sleep(0.2)
