"""The Dockerfile agrees with the project: the Python it pins, the entry point, the health
endpoint and port, the user the rendered pods run as, and the dependency pins. No Docker engine
is needed (hadolint runs in tests/render/test_checkers.py)."""

from __future__ import annotations

import json
import re
import tomllib

from swarmstack.cli.main import app
from swarmstack.render.common import PORT, UID
from swarmstack.server.health import router
from swarmstack.spec.deploy import Deploy
from tests.conftest import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def instruction(name: str) -> list[str]:
    """The arguments of every `name` instruction, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return [m.strip() for m in re.findall(rf"(?m)^{name}\s+(.*)$", joined)]


def test_the_base_image_is_the_python_the_project_targets() -> None:
    (default,) = [a for a in instruction("ARG") if a.startswith("PYTHON_IMAGE=")]
    tag = default.removeprefix("PYTHON_IMAGE=python:")
    version = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)-slim-\w+", tag)
    assert version, f"pin the base by full version and a slim variant, not {tag}"
    assert f"{version[1]}.{version[2]}" == PYPROJECT["tool"]["mypy"]["python_version"]
    assert PYPROJECT["project"]["requires-python"] == f">={version[1]}.{version[2]}"
    assert instruction("FROM") == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]


def test_the_entrypoint_is_the_packages_script_and_serve_a_command() -> None:
    assert json.loads(instruction("ENTRYPOINT")[0]) == list(PYPROJECT["project"]["scripts"])
    (command,) = json.loads(instruction("CMD")[0])
    assert command in {c.name or c.callback.__name__ for c in app.registered_commands if c.callback}


def test_the_healthcheck_asks_the_managers_liveness_route_on_its_port() -> None:
    (check,) = instruction("HEALTHCHECK")
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", check)
    assert url is not None
    assert int(url[1]) == PORT
    assert url[2] in {getattr(r, "path", None) for r in router.routes}
    assert url[2] == "/health"  # liveness, not /ready: a restart does not fix a down database
    assert instruction("EXPOSE") == [str(PORT)]


def test_it_runs_as_the_user_the_rendered_pods_run_as() -> None:
    assert instruction("USER") == [f"{UID}:{UID}"]
    assert f"--uid {UID}" in DOCKERFILE


def test_constraints_pin_the_same_versions_as_pyproject() -> None:
    constraints = {
        _name(line.split("==")[0]): line.split("==")[1]
        for line in (REPO / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    for requirement in PYPROJECT["project"]["dependencies"]:
        name, version = requirement.split("==")
        assert constraints.get(_name(name)) == version.split()[0], requirement
    assert all(re.fullmatch(r"[\w.+]+", v) for v in constraints.values())


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    allowed = {line.removeprefix("!").rstrip("/") for line in ignored if line.startswith("!")}
    copied = [a for a in instruction("COPY") if not a.startswith("--from")]
    for arguments in copied:
        *sources, _ = [a for a in arguments.split() if not a.startswith("--")]
        for source in sources:
            assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"
            assert (REPO / source).exists()


def test_make_image_tags_the_image_specs_name_by_default() -> None:
    makefile = (REPO / "Makefile").read_text()
    version = PYPROJECT["project"]["version"]
    default = Deploy.model_fields["image"].default
    assert "IMAGE ?= ghcr.io/swarmstack/swarmstack:$(VERSION)" in makefile
    assert default == f"ghcr.io/swarmstack/swarmstack:{version}"


def _name(name: str) -> str:
    """A distribution name as pip compares them (PEP 503), without extras."""
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()
