"""compose builds this checkout's Dockerfile unless the specs name an image of their own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from swarmstack.render.compose import compose
from swarmstack.spec import load_spec
from tests.conftest import REPO

TRIAGE = REPO / "examples/triage/swarm.yaml"


def service(image: str | None, tmp_path: Path, name: str = "manager") -> dict[str, Any]:
    path = TRIAGE
    if image is not None:
        path = tmp_path / "swarm.yaml"
        path.write_text(TRIAGE.read_text().replace("deploy:\n", f"deploy:\n  image: {image}\n"))
    found: dict[str, Any] = compose([load_spec(path)], build_context="../ctx")["services"][name]
    return found


def test_without_an_image_in_the_spec_compose_builds_the_dockerfile(tmp_path: Path) -> None:
    for name in ("manager", "worker"):
        found = service(None, tmp_path, name)
        assert found["build"] == {"context": "../ctx", "dockerfile": "Dockerfile"}
        assert found["pull_policy"] == "build"
        assert found["image"] == "ghcr.io/swarmstack/swarmstack:0.1.0"  # what `make image` tags


def test_an_image_named_in_the_spec_is_pulled_not_built(tmp_path: Path) -> None:
    found = service("registry.example/team/swarm:1.2.3", tmp_path)
    assert found["image"] == "registry.example/team/swarm:1.2.3"
    assert "build" not in found
    assert "pull_policy" not in found


def test_render_compose_points_build_at_the_given_directory(tmp_path: Path) -> None:
    out = tmp_path / "out" / "compose"
    done = subprocess.run(
        [sys.executable, "-m", "swarmstack", "render", "compose", str(TRIAGE), "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    written = yaml.safe_load((out / "docker-compose.yml").read_text())
    context = written["services"]["manager"]["build"]["context"]
    assert (out / context / "Dockerfile").resolve() == (REPO / "Dockerfile").resolve()
