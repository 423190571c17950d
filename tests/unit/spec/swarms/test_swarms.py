"""`spec.swarms`: reading text (JSON, YAML, markdown), the spec file, the runnable spec."""

from __future__ import annotations

import json
import textwrap

import pytest

from swarmstack.errors import SpecError
from swarmstack.spec.loader import parse_spec
from swarmstack.spec.swarms import import_text, runnable, spec_yaml

MARKDOWN = textwrap.dedent(
    """\
    ---
    name: Code Reviewer
    description: Reviews diffs
    model_name: gpt-4o-mini
    temperature: 0.1
    tools: Read, Grep
    ---
    You review code. Point at ${risky} lines.
    """
)


def test_markdown_agent() -> None:
    imported = import_text(MARKDOWN, "reviewer.md", "reviewer")
    agent = imported.spec["agents"]["code-reviewer"]
    assert agent["system_prompt"] == "You review code. Point at ${risky} lines."
    assert agent["description"] == "Reviews diffs" and agent["temperature"] == 0.1
    assert "flow" not in imported.spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\nname: x\n", "no closing ---"),
        ("---\nname: x\n---\n\n", "no prompt"),
        ("---\n[1, 2]\n---\nprompt\n", "not a mapping"),
        ("---\nname: [\n---\nprompt\n", "not valid YAML"),
    ],
)
def test_bad_markdown(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        import_text(text, "a.md")


def test_json_syntax_error_names_the_line() -> None:
    with pytest.raises(SpecError, match="line 2") as caught:
        import_text('{"agents": [\n  oops]}', "s.json")
    assert caught.value.where == "s.json" and caught.value.fix


def test_spec_file_escapes_user_text_and_points_at_the_sdk_variables() -> None:
    document = spec_yaml(import_text(MARKDOWN, "reviewer.md", "reviewer"))
    assert "$${risky}" in document and "${OPENAI_BASE_URL:-https://api.openai.com/v1}" in document
    spec = parse_spec(document, "out.yaml", {"OPENAI_BASE_URL": "http://llm:8000/v1"})
    agent = spec.agents["code-reviewer"]
    assert agent.system_prompt.endswith("Point at ${risky} lines.")  # type: ignore[union-attr]
    assert agent.base_url == "http://llm:8000/v1"  # type: ignore[union-attr]
    assert agent.api_key == "${secret:OPENAI_API_KEY}"  # type: ignore[union-attr]


def test_runnable_never_interpolates_user_text() -> None:
    doc = {"agents": [{"agent_name": "a", "system_prompt": "${HOME}"}], "swarm_type": None}
    spec = runnable(import_text(json.dumps(doc), "api"), {"OPENAI_BASE_URL": "http://x/v1"}, "api")
    agent = spec.agents["a"]
    assert agent.system_prompt == "${HOME}"  # type: ignore[union-attr]
    assert agent.base_url == "http://x/v1"  # type: ignore[union-attr]
    assert runnable(import_text(json.dumps(doc), "api"), {}, "api").agents["a"].base_url == (  # type: ignore[union-attr]
        "https://api.openai.com/v1"
    )


def test_model_routes_pick_the_endpoint_per_model() -> None:
    doc = {"agents": [{"agent_name": "a", "model_name": "local"}, {"agent_name": "b"}]}
    imported = import_text(json.dumps(doc), "api")
    routes = {"local": "http://vllm:8000/v1"}
    spec = runnable(imported, {"OPENAI_BASE_URL": "http://default/v1"}, "api", routes)
    assert spec.agents["a"].base_url == "http://vllm:8000/v1"  # type: ignore[union-attr]
    assert spec.agents["b"].base_url == "http://default/v1"  # type: ignore[union-attr]
    document = spec_yaml(imported, routes)
    assert document.count("http://vllm:8000/v1") == 1 and "${OPENAI_BASE_URL:-" in document
