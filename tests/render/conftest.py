"""Rendered files of every example deployment, once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from swarmstack.render import render_files
from swarmstack.spec import SwarmSpec, load_spec
from tests.conftest import REPO

EXAMPLES = {
    "triage+digest": ["examples/triage/swarm.yaml", "examples/digest/swarm.yaml"],
    "research": [
        "examples/research/swarm.yaml",
        "examples/research/concurrent.yaml",
        "examples/research/router.yaml",
        "examples/research/pipeline.yaml",
        "examples/research/rules.yaml",
    ],
    "triage+canary": ["examples/triage/swarm.yaml", "canary:examples/triage/canary.yaml"],
    "frameworks": [
        "examples/frameworks/swarm.yaml",
        "examples/frameworks/langgraph.yaml",
        "examples/frameworks/swarms.yaml",
    ],
}


def example_specs(name: str) -> list[SwarmSpec]:
    """The stable specs of an example deployment."""
    env = {"OPENAI_API_KEY": "unused"}
    return [load_spec(REPO / p, env) for p in EXAMPLES[name] if not p.startswith("canary:")]


def example_canaries(name: str) -> list[SwarmSpec]:
    """Its canaries: new code versions that get worker pods of their own (`render --canary`)."""
    env = {"OPENAI_API_KEY": "unused"}
    return [
        load_spec(REPO / p.removeprefix("canary:"), env)
        for p in EXAMPLES[name]
        if p.startswith("canary:")
    ]


@pytest.fixture(scope="session", params=sorted(EXAMPLES))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with `render all` output of one example deployment."""
    out = tmp_path_factory.mktemp(f"rendered-{request.param}")
    files = render_files(example_specs(request.param), example_canaries(request.param))
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return out


def base_objects(out: Path) -> list[dict[str, object]]:
    return [
        yaml.safe_load(p.read_text())
        for p in sorted((out / "k8s" / "base").glob("*.yaml"))
        if p.name != "kustomization.yaml"
    ]
