"""The deployment commands as a user runs them: deploy, deployments list|diff, rollout
status|promote (--watch), rollback, with --json and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.process.conftest import Procs

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
