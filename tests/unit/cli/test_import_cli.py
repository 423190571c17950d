"""`swarmstack import swarms` as users run it: each Swarms format in, a spec that `swarmstack
validate` accepts out; bad files get one line that says what, where and how to fix it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO

AGENT_YAML = textwrap.dedent(
    """\
    agents:
      - agent_name: Researcher
        system_prompt: Find facts about the task.
        model_name: gpt-4o-mini
        max_loops: 1
        retry_attempts: 2
      - agent_name: Writer
        system_prompt: Write a short brief.
        model:
          model_name: gpt-4o-mini
          temperature: 0.4
          max_tokens: 400
    swarm_architecture:
      name: brief-writers
      description: research, then write
      swarm_type: AgentRearrange
      rearrange_flow: Researcher -> Writer
      max_loops: 1
    """
)
SWARM_SPEC = {
    "name": "Board",
    "description": "a director and two workers",
    "agents": [
        {"agent_name": "Chair", "system_prompt": "Plan.", "role": "director"},
        {"agent_name": "Finance", "system_prompt": "Numbers.", "model_name": "gpt-4o-mini"},
        {"agent_name": "Legal", "system_prompt": "Risks.", "model_name": "gpt-4o-mini"},
    ],
    "swarm_type": "HiearchicalSwarm",
    "max_loops": 2,
    "task": "Should we expand?",
}
GRAPH = {
    "name": "pipeline",
    "agents": [{"agent_name": n, "system_prompt": n} for n in ("collect", "a", "b", "merge")],
    "edges": [["collect", ["a", "b"]], [["a", "b"], "merge"]],
    "entry_points": ["collect"],
    "end_points": ["merge"],
}
MARKDOWN = "---\nname: reviewer\nmodel_name: gpt-4o-mini\n---\nReview the diff.\n"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmstack", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.mark.parametrize(
    ("name", "text", "flow"),
    [
        ("agents.yaml", AGENT_YAML, "sequential"),
        ("board.json", json.dumps(SWARM_SPEC), "hierarchical"),
        ("graph.json", json.dumps(GRAPH), "graph"),
        ("reviewer.md", MARKDOWN, "single agent"),
    ],
)
def test_each_format_imports_to_a_valid_spec(
    tmp_path: Path, name: str, text: str, flow: str
) -> None:
    source, out = tmp_path / name, tmp_path / "spec.yaml"
    source.write_text(text)
    imported = run("import", "swarms", str(source), "-o", str(out))
    assert imported.returncode == 0, imported.stderr
    assert f"flow {flow}" in imported.stdout
    checked = run("validate", str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_without_out_the_spec_goes_to_stdout_and_notes_to_stderr(tmp_path: Path) -> None:
    source = tmp_path / "agents.yaml"
    source.write_text(AGENT_YAML)
    done = run("import", "swarms", str(source))
    assert done.returncode == 0 and done.stdout.startswith("# imported from Swarms")
    assert "retry_attempts as options" in done.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"agents": [{"agent_name": "a"}], "swarm_type": "HeavySwarm"}', "use one of: Sequential"),
        ("agents:\n  - agent_name: [\n", "is not valid JSON or YAML: line 3"),
        ('{"agents": [{"agent_name": "a", "temperature": 9}]}', "agents.a.temperature"),
        ("just text", "is not a Swarms definition"),
    ],
)
def test_bad_files_fail_with_one_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    source = tmp_path / "bad.json"
    source.write_text(text)
    done = run("import", "swarms", str(source))
    assert done.returncode == 1
    assert expected in done.stderr and str(source) in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_file(tmp_path: Path) -> None:
    done = run("import", "swarms", str(tmp_path / "nope.yaml"))
    assert done.returncode != 0 and "Traceback" not in done.stderr
