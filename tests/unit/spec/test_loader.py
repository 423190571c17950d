"""Spec loading: file:line errors with a field path and a fix, interpolation, schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from swarmstack.errors import SpecError
from swarmstack.spec import load_spec, parse_spec, spec_schema
from swarmstack.spec.durations import format_duration, parse_duration

GOOD = """\
name: demo
agents:
  a: {kind: python, entrypoint: "m:f"}
  b: {kind: python, entrypoint: "m:g", timeout: 2s}
flow: {type: sequential, steps: [a, b]}
runtime: {timeout: 1m, retry_delay: 500ms, retry_attempts: 2}
"""


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(text, "swarm.yaml", env or {})
    return info.value.problems or [info.value.render()]


def test_good_spec_parses_with_durations() -> None:
    spec = parse_spec(GOOD, "swarm.yaml", {})
    assert spec.runtime.timeout == 60
    assert spec.runtime.retry_delay == 0.5
    assert spec.agents["b"].timeout == 2
    assert spec.entry_agents() == ["a", "b"]


def test_misspelt_key_names_line_path_and_known_keys() -> None:
    [problem] = problems(GOOD.replace("timeout: 2s", "timout: 2s"))
    assert "swarm.yaml:4 agents.b.timout" in problem
    assert "known keys here: kind, entrypoint" in problem


def test_bad_duration_names_its_line() -> None:
    [problem] = problems(GOOD.replace("timeout: 1m", "timeout: soon"))
    assert "swarm.yaml:6 runtime.timeout" in problem
    assert "30s, 5m or 500ms" in problem


def test_unknown_agent_in_flow_points_at_the_flow() -> None:
    [problem] = problems(GOOD.replace("steps: [a, b]", "steps: [a, c]"))
    assert "swarm.yaml:5 flow.steps[1]" in problem
    assert "unknown agent 'c'; known agents: a, b" in problem


def test_missing_field_says_what_to_add() -> None:
    [problem] = problems("agents:\n  a: {kind: python, entrypoint: 'm:f'}\n")
    assert "name" in problem
    assert "add `name:`" in problem


def test_a_missing_nested_field_points_at_its_mapping() -> None:
    [problem] = problems("name: x\nagents:\n  a: {kind: python}\n")
    assert "swarm.yaml:3 agents.a.entrypoint: Field required" in problem


def test_unknown_kind_explains_the_choices() -> None:
    [problem] = problems(GOOD.replace('kind: python, entrypoint: "m:f"', "kind: java"))
    assert "swarm.yaml:3" in problem
    assert "python | llm" in problem


def test_graph_cycle_is_reported_with_the_cycle() -> None:
    text = """\
name: g
agents:
  a: {kind: python, entrypoint: "m:f"}
flow:
  type: graph
  nodes:
    x: {agent: a, depends_on: [y]}
    y: {agent: a, depends_on: [x]}
"""
    [problem] = problems(text)
    assert "cycle" in problem
    assert "x -> y -> x" in problem or "y -> x -> y" in problem


def test_duplicate_keys_are_errors() -> None:
    text = GOOD + "runtime: {timeout: 5s}\n"
    [problem] = problems(text)
    assert "swarm.yaml:7" in problem
    assert "appears twice" in problem


def test_invalid_yaml_names_line() -> None:
    [problem] = problems("name: x\nagents: [\n")
    assert "not valid YAML" in problem


def test_interpolation_from_env_with_defaults() -> None:
    text = GOOD.replace('"m:g"', '"${MOD}:g"').replace("name: demo", "name: ${NAME:-demo}")
    spec = parse_spec(text, "swarm.yaml", {"MOD": "pkg.mod"})
    assert spec.name == "demo"
    assert spec.agents["b"].entrypoint == "pkg.mod:g"  # type: ignore[union-attr]


def test_missing_variable_names_line_and_variable() -> None:
    [problem] = problems(GOOD.replace('"m:g"', '"${NOPE}:g"'))
    assert "swarm.yaml:4" in problem
    assert "NOPE" in problem


def test_secret_references_are_kept_for_run_time() -> None:
    text = """\
name: l
agents:
  a: {kind: llm, model: m, api_key: "${secret:OPENAI_API_KEY}"}
"""
    spec = parse_spec(text, "swarm.yaml", {})
    assert spec.agents["a"].api_key == "${secret:OPENAI_API_KEY}"  # type: ignore[union-attr]


def test_several_agents_need_a_flow() -> None:
    [problem] = problems(GOOD.replace("flow: {type: sequential, steps: [a, b]}\n", ""))
    assert "need a `flow`" in problem


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "nope.yaml")


def test_schema_describes_every_field() -> None:
    schema = spec_schema()
    assert schema["additionalProperties"] is False

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                assert "description" in prop or "$ref" in prop or "allOf" in prop, name
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("50ms", 0.05), ("1h", 3600), (2, 2), ("1.5", 1.5)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_duration_round_trip() -> None:
    for seconds in (0.05, 1, 90, 3600, 86400, 1.5):
        assert parse_duration(format_duration(seconds)) == seconds


def test_cli_validate_reports_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("timeout: 2s", "timout: 2s"))
    run = subprocess.run(
        [sys.executable, "-m", "swarmstack", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert f"{bad}:4 agents.b.timout" in run.stderr
    assert "Traceback" not in run.stderr


def test_cli_schema_is_json() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "swarmstack", "schema"], capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout)["title"] == "SwarmSpec"


def test_examples_are_valid() -> None:
    root = Path(__file__).resolve().parents[3] / "examples"
    specs = sorted(root.glob("*/*.yaml"))
    assert specs
    for path in specs:
        load_spec(path, {})


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a\ud96f x", "U+D96F is not allowed"),
        ("name: x\x07\n", "U+0007 is not allowed"),
        ("a: !custom {kind: python}", "tag '!custom' is not allowed"),
        ("x: !!python/object:os.system {}", "python/object:os.system' is not allowed"),
        ("x: !!python/tuple [1, 2]", "is not allowed"),
    ],
)
def test_yaml_the_spec_cannot_hold_is_a_spec_error_with_a_line(text: str, needle: str) -> None:
    with pytest.raises(SpecError, match=r"s\.yaml:1") as caught:
        parse_spec(text, "s.yaml", {})
    assert needle in str(caught.value)


def test_alias_expansion_is_bounded() -> None:
    levels = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, 7):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        levels.append(f"a{i}: &a{i} [{refs}]")
    with pytest.raises(SpecError, match="expands to more than 100,000 values"):
        parse_spec("\n".join(levels), "bomb.yaml", {})


def test_a_spec_that_is_not_utf8_names_the_file_and_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(SpecError, match=r"latin1.yaml is not UTF-8 text \(byte 0xe9 at offset 9\)"):
        load_spec(path)
