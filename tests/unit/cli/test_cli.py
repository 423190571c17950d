"""The CLI for a new user: -h everywhere, text printed as written, one Fix, full ids, exit
codes, and `validate` importing entrypoints the way `up` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import httpx
import pytest
import typer

from swarmstack.cli.banner import curl_line
from swarmstack.cli.main import app
from swarmstack.cli.output import console, task_table
from swarmstack.client.http import _problem
from swarmstack.node import AdminKey
from tests.conftest import REPO


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmstack", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd or REPO,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def command_paths(group: click.Command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    commands: dict[str, click.Command] = getattr(group, "commands", {})  # TyperGroup too
    if commands:
        for name, sub in commands.items():
            paths += command_paths(sub, (*prefix, name))
    return paths


@pytest.mark.parametrize("path", command_paths(typer.main.get_command(app)))
def test_every_command_takes_h_and_help(path: tuple[str, ...]) -> None:
    from typer.testing import CliRunner

    for flag in ("-h", "--help"):
        result = CliRunner().invoke(app, [*path, flag])
        assert result.exit_code == 0, (path, flag, result.output)
        assert "Usage:" in result.output


def test_markup_like_text_is_printed_as_written(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: Bad\nagents: {}\n")
    done = run("validate", str(tmp_path / "bad.yaml"))
    assert done.returncode == 1
    assert "'^[a-z][a-z0-9_-]{0,62}$'" in done.stderr
    (tmp_path / "config.toml").write_text('[security]\njwt_secret = "short-[red]x[/red]"\n')
    shown = run("config", "show", cwd=tmp_path)
    assert shown.returncode == 1
    assert "config.toml [security] jwt_secret: setting security.jwt_secret" in shown.stderr
    assert "[red]" not in shown.stderr  # the (secret) value is never echoed


def test_a_remote_error_says_its_fix_once() -> None:
    body = {"status": 401, "detail": "a: b. Fix: do c", "fix": "do c"}
    response = httpx.Response(
        401, content=json.dumps(body), headers={"content-type": "application/problem+json"}
    )
    error = _problem(response, "http://m")
    assert str(error).count("Fix:") == 1
    assert str(error) == "401: a: b. Fix: do c"


def test_unreachable_manager_error_shows_each_cause_once() -> None:
    done = run("tasks", "list", "--url", "http://127.0.0.1:9", "--api-key", "k")
    assert done.returncode == 1
    assert done.stderr.count("Fix:") == 1
    assert done.stderr.count("caused by") == 1
    assert "HTTP Request" not in done.stderr


def test_task_ids_are_never_cut_even_on_a_narrow_terminal() -> None:
    task = {
        "id": "t_01m8p6yscs767gjrz2c01wts83",
        "swarm": "triage-with-a-long-name",
        "status": "failed",
        "priority": "normal",
        "attempts": 4,
        "max_attempts": 4,
        "error": "[red]boom[/] " * 10,
    }
    following = console._width  # None: the terminal's (COLUMNS) width, which later tests set
    for width in (40, 60, 200):
        with console.capture() as captured:
            console.width = width
            try:
                console.print(task_table([task]))
            finally:
                console._width = following
        text = captured.get()
        assert any(task["id"] in line for line in text.splitlines()), (width, text)
    assert "[red]boom[/]" in text  # printed as written, not as markup


def test_the_curl_line_expands_the_key_from_the_environment() -> None:
    line = curl_line("http://127.0.0.1:1", "triage", AdminKey(None, "stored"))
    assert '"Authorization: Bearer $SWARMSTACK_API_KEY"' in line
    done = subprocess.run(
        ["bash", "-c", f"set -- {line.removeprefix('curl ')}; printf '%s\\n' \"$@\""],
        capture_output=True,
        text=True,
        env={"SWARMSTACK_API_KEY": "ssk_x"},
        check=True,
    )
    assert "Authorization: Bearer ssk_x" in done.stdout.splitlines()
    assert "http://127.0.0.1:1/api/v1/tasks?wait=10" in done.stdout.splitlines()


SPEC = "name: {name}\nagents:\n  a: {{kind: python, entrypoint: '{entrypoint}'}}\n"


@pytest.mark.parametrize(
    ("entrypoint", "message"),
    [
        ("nomod_xyz:f", "cannot import module 'nomod_xyz'"),
        ("agentmod:g", "module 'agentmod' has no attribute 'g'"),
        ("brokenmod:f", "cannot import module 'brokenmod': ZeroDivisionError"),
    ],
)
def test_validate_imports_entrypoints_like_up(
    tmp_path: Path, entrypoint: str, message: str
) -> None:
    (tmp_path / "agentmod.py").write_text("def f(x):\n    return x\n")
    (tmp_path / "brokenmod.py").write_text("1 / 0\n")
    (tmp_path / "s.yaml").write_text(SPEC.format(name="s", entrypoint=entrypoint))
    (tmp_path / "ok.yaml").write_text(SPEC.format(name="ok", entrypoint="agentmod:f"))
    done = run("validate", "ok.yaml", "s.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "ok ok.yaml" in done.stdout
    assert f"s.yaml:3 agents.a.entrypoint: {message}" in done.stderr
    as_json = run("validate", "--json", "ok.yaml", "s.yaml", cwd=tmp_path)
    assert as_json.returncode == 1
    document = json.loads(as_json.stdout)  # one document, so `python3 -m json.tool` reads it
    assert document["ok"] is False
    results = document["specs"]
    assert [r["ok"] for r in results] == [True, False]
    assert message in results[1]["error"]


def test_validate_checks_llm_tools_and_router_rules(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "name: s\nagents:\n"
        "  a: {kind: python, entrypoint: 'agentmod:f'}\n"
        "  l: {kind: llm, model: m, tools: ['agentmod:f', 'agentmod:nope']}\n"
        "flow: {type: router, router: 'agentmod:missing_rule', routes: [a, l]}\n"
    )
    (tmp_path / "agentmod.py").write_text("def f(x: str) -> str:\n    return x\n")
    done = run("validate", "s.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "s.yaml:4 agents.l.tools[1]" in done.stderr


def test_examples_validate_with_entrypoints() -> None:
    specs = sorted(str(p.relative_to(REPO)) for p in REPO.glob("examples/*/*.yaml"))
    done = run("validate", *specs, env={"OPENAI_API_KEY": "unused"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok ") == len(specs)
