"""Exit codes as `swarmstack --help` documents them: usage errors 2 (naming the option), a taken
port 1 before anything starts."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.unit.cli.test_cli import run


def test_help_documents_the_exit_codes() -> None:
    assert "Exit codes: 0 ok, 1 error, 2 usage error" in run("--help").stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuchcmd"], "No such command 'nosuchcmd'"),
        (["submit"], "Missing argument 'swarm'"),
        (["tasks", "list", "--limit", "0"], "'--limit'"),
    ],
)
def test_usage_errors_exit_2(args: list[str], says: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert says in done.stderr


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("command", ["up", "serve"])
def test_a_taken_port_fails_before_anything_starts(
    command: str, taken_port: int, tmp_path: Path
) -> None:
    spec = str(REPO / "examples/triage/swarm.yaml")
    env = {"SWARMSTACK_SERVER__HOST": "127.0.0.1", "SWARM_MODE": "manager"}
    done = run(command, "--port", str(taken_port), spec, cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stderr
    assert f"cannot listen on 127.0.0.1:{taken_port}: the port is already in use" in done.stderr
    assert "--port N or SWARMSTACK_SERVER__PORT" in done.stderr
    assert "Errno" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no store (./.swarmstack) opened, no worker started


def test_nan_input_names_the_argument_and_the_fix() -> None:
    done = run("submit", "triage", '{"a": NaN}', "--url", "http://127.0.0.1:9")
    assert done.returncode == 1
    assert "argument DATA holds NaN, which JSON cannot carry" in done.stderr
    assert 'quote it as a string: "NaN"' in done.stderr


def test_with_json_an_error_is_a_json_object_on_stdout() -> None:
    done = run(
        "tasks", "cancel", "--json", "t_nope", "--url", "http://127.0.0.1:9", "--api-key", "k"
    )
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["message"].startswith("cannot reach the manager at http://127.0.0.1:9")
    assert error["fix"]
    assert "error:" in done.stderr  # people still read stderr
