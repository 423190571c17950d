"""Spec fields that are Kubernetes names as written fail `validate` with the limit and a fix."""

from __future__ import annotations

import pytest

from swarmstack.errors import SpecError
from swarmstack.spec import parse_spec

BASE = """\
name: demo
agents:
  a: {kind: python, entrypoint: "m:f"}
deploy:
"""


def spec_problems(deploy: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(BASE + deploy, "swarm.yaml", {})
    return info.value.problems


def parses(deploy: str) -> bool:
    return parse_spec(BASE + deploy, "swarm.yaml", {}).deploy is not None


@pytest.mark.parametrize("name", ["n", "a" * 63, "a-1", "0a"])
def test_namespaces_that_fit_pass(name: str) -> None:
    assert parses(f"  namespace: {name!r}\n")


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("a" * 64, "a" * 63),
        ("-ns", "ns"),
        ("ns-", "ns"),
        ("Prod", "prod"),
        ("my_ns", "my-ns"),
        ("a.b", "a-b"),
    ],
)
def test_namespaces_that_do_not_fit_name_the_value_the_limit_and_a_fix(
    name: str, suggestion: str
) -> None:
    [problem] = spec_problems(f"  namespace: {name!r}\n")
    assert "swarm.yaml:5 deploy.namespace" in problem
    assert repr(name) in problem
    assert "at most 63" in problem
    assert f"e.g. {suggestion!r}" in problem


@pytest.mark.parametrize("name", ["Prod", "a" * 64, "stage_1", "-x"])
def test_environment_names_are_dns_labels(name: str) -> None:
    [problem] = spec_problems(f"  environments: {{{name!r}: {{}}}}\n")
    assert repr(name) in problem
    assert "at most 63" in problem


def test_environment_name_of_63_chars_passes() -> None:
    assert parses(f"  environments: {{{'e' * 63}: {{}}}}\n")


@pytest.mark.parametrize("name", ["EU", "e" * 64, "eu_1", "eu-"])
def test_region_names_are_dns_labels(name: str) -> None:
    [problem] = spec_problems(
        f"  regions: [{{name: {name!r}, endpoint: 'https://x.example', weight: 1}}]\n"
    )
    assert "deploy.regions[0].name" in problem
    assert "at most 63" in problem


def test_regions_and_environments_never_share_an_overlay() -> None:
    region = "{name: eu, endpoint: 'https://eu.example', weight: 50}"
    [twice] = spec_problems(f"  regions: [{region}, {region}]\n")
    assert "more than once" in twice
    [shared] = spec_problems(f"  environments: {{region-eu: {{}}}}\n  regions: [{region}]\n")
    assert "overlays/region-eu" in shared


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("tls_secret", "a" * 63 + "." + "b" * 63, True),
        ("tls_secret", ".".join(["a" * 63] * 4)[:253], True),
        ("tls_secret", "a" * 64, False),
        ("tls_secret", "Tls", False),
        ("tls_secret", "tls_secret", False),
        ("class_name", "nginx", True),
        ("class_name", "-nginx", False),
        ("controller_namespace", "a" * 63, True),
        ("controller_namespace", "a" * 64, False),
        ("monitoring_namespace", "Monitoring", False),
    ],
)
def test_ingress_names(field: str, value: str, ok: bool) -> None:
    deploy = f"  ingress: {{{field}: {value!r}}}\n"
    if ok:
        assert parses(deploy)
    else:
        [problem] = spec_problems(deploy)
        assert f"deploy.ingress.{field}" in problem
