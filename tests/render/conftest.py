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
    "frameworks": [
        "examples/frameworks/swarm.yaml",
        "examples/frameworks/langgraph.yaml",
        "examples/frameworks/swarms.yaml",
    ],
}


def example_specs(name: str) -> list[SwarmSpec]:
    env = {"OPENAI_API_KEY": "unused"}
    return [load_spec(REPO / p, env) for p in EXAMPLES[name]]


@pytest.fixture(scope="session", params=sorted(EXAMPLES))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with `render all` output of one example deployment."""
    out = tmp_path_factory.mktemp(f"rendered-{request.param}")
    for relative, text in render_files(example_specs(request.param)).items():
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
