"""What no checker checks: the rendered objects fit together; output is stable; bad specs
write nothing; every metric the rules and dashboard use is really exported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from swarmstack.cli.main import app
from swarmstack.errors import InvalidInput
from swarmstack.render import referenced_metric_names, render_files
from tests.conftest import REPO
from tests.integration.server.conftest import (
    Node,
    node,
    node_store,
    rate_limits,
    server_overrides,
    swarms,
)
from tests.render.conftest import EXAMPLES, base_objects, example_canaries, example_specs

Obj = dict[str, Any]


def by_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def test_every_selector_and_reference_finds_its_target(rendered: Path) -> None:
    objects = base_objects(rendered)
    deployments = {d["metadata"]["name"]: d for d in by_kind(objects, "Deployment")}
    pods = {n: d["spec"]["template"]["metadata"]["labels"] for n, d in deployments.items()}
    for name, deployment in deployments.items():
        assert matches(deployment["spec"]["selector"]["matchLabels"], pods[name]), name
    services = {s["metadata"]["name"]: s for s in by_kind(objects, "Service")}
    for name, svc in services.items():
        chosen = [d for d, labels in pods.items() if matches(svc["spec"]["selector"], labels)]
        assert len(chosen) == 1, f"Service {name} selects {chosen}"
        ports = deployments[chosen[0]]["spec"]["template"]["spec"]["containers"][0]["ports"]
        assert {p["targetPort"] for p in svc["spec"]["ports"]} <= {p["name"] for p in ports}
    for pdb in by_kind(objects, "PodDisruptionBudget"):
        chosen = [
            d
            for d, labels in pods.items()
            if matches(pdb["spec"]["selector"]["matchLabels"], labels)
        ]
        assert len(chosen) == 1, pdb["metadata"]["name"]
    for policy in by_kind(objects, "NetworkPolicy"):
        wanted = policy["spec"]["podSelector"].get("matchLabels", {})
        assert not wanted or any(matches(wanted, labels) for labels in pods.values())
    targets = [
        o["spec"]["scaleTargetRef"]["name"] for o in by_kind(objects, "HorizontalPodAutoscaler")
    ]
    targets += [o["spec"]["scaleTargetRef"]["name"] for o in by_kind(objects, "ScaledObject")]
    assert len(targets) == len(set(targets)), "one autoscaler per target"
    for target in targets:
        assert target in deployments and "replicas" not in deployments[target]["spec"]
    for ing in by_kind(objects, "Ingress"):
        backend = ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert backend["name"] in services
        assert backend["port"]["name"] in {
            p["name"] for p in services[backend["name"]]["spec"]["ports"]
        }
    configs = {c["metadata"]["name"] for c in by_kind(objects, "ConfigMap")}
    for deployment in deployments.values():
        for volume in deployment["spec"]["template"]["spec"]["volumes"]:
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configs


def test_every_pod_meets_the_restricted_profile_and_every_object_is_labelled(
    rendered: Path,
) -> None:
    objects = base_objects(rendered)
    for obj in objects:
        assert obj["metadata"]["labels"]["app.kubernetes.io/name"] == "swarmstack", obj["kind"]
    for deployment in by_kind(objects, "Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] > 0
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"]["drop"] == ["ALL"]
            assert {"livenessProbe", "readinessProbe", "startupProbe"} <= set(container)
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                assert container[probe]["httpGet"]["port"] in {
                    p["name"] for p in container["ports"]
                }
            assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"])
            names = {e["name"] for e in container["env"]}
            assert "SWARMSTACK_STORE__URL_FILE" in names, "secrets come as mounted files"
            assert not names & {"SWARMSTACK_STORE__URL", "REDIS_URL", "SWARMSTACK_ADMIN_KEY"}


def test_rendering_is_deterministic_and_secrets_stay_references() -> None:
    for name in EXAMPLES:
        first, second = render_files(example_specs(name)), render_files(example_specs(name))
        assert first == second
        assert "unused" not in "".join(first.values()), "a secret value reached the output"


def test_render_all_writes_the_files_and_a_bad_spec_writes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    good = [str(REPO / p) for p in EXAMPLES["triage+digest"]]
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "all", *good, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "k8s/base/kustomization.yaml").is_file()
    assert (out / "compose/docker-compose.yml").is_file()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nagents:\n  a: {kind: python}\n")
    nothing = tmp_path / "nothing"
    result = runner.invoke(app, ["render", "all", *good, str(bad), "-o", str(nothing)])
    assert result.exit_code == 1
    assert not nothing.exists()
    assert "bad.yaml:3 agents.a.entrypoint: Field required" in str(result.exception)


def test_single_files_print_to_stdout() -> None:
    spec = str(REPO / EXAMPLES["triage+digest"][0])
    result = CliRunner().invoke(app, ["render", "alerts", spec])
    assert result.exit_code == 0 and "SwarmstackHighErrorRate" in result.output


async def test_every_metric_the_rules_and_dashboard_use_is_exported(node: Node) -> None:
    await node.http.post("/api/v1/tasks", params={"wait": 5}, json={"swarm": "echo", "input": 1})
    exported = (await node.http.get("/metrics")).text
    names = {line.split()[2] for line in exported.splitlines() if line.startswith("# TYPE ")}
    for name in EXAMPLES:
        assert referenced_metric_names(example_specs(name)) <= names


__all__ = [
    "node",
    "node_store",
    "rate_limits",
    "server_overrides",
    "swarms",
]  # fixtures used from the server tests


def test_images_are_pinned_by_digest_when_the_spec_gives_one() -> None:
    specs = example_specs("triage+digest")
    digest = "sha256:" + "ab" * 32
    deploy = specs[0].deploy.model_copy(update={"image_digest": digest})
    pinned = [specs[0].model_copy(update={"deploy": deploy}), *specs[1:]]
    files = render_files(pinned)
    deployments = [t for p, t in files.items() if "-deployment-" in p]
    assert deployments and all(f"@{digest}" in t for t in deployments)
    assert f"@{digest}" in files["compose/docker-compose.yml"]


def test_a_new_code_version_gets_worker_pods_of_its_own() -> None:
    objects = [
        yaml.safe_load(text)
        for path, text in render_files(
            example_specs("triage+canary"), example_canaries("triage+canary")
        ).items()
        if path.startswith("k8s/base/") and not path.endswith("kustomization.yaml")
    ]
    deployments = {
        o["metadata"]["name"]: o["spec"]["template"]["spec"]["containers"][0]
        for o in objects
        if o["kind"] == "Deployment"
    }
    canary = deployments["swarmstack-worker-triage-0-2-0"]
    assert canary["image"] == "ghcr.io/swarmstack/swarmstack:0.2.0"
    env = {e["name"]: e.get("value") for e in canary["env"]}
    assert env["SWARMSTACK_WORKER__CODE_VERSION"] == "0.2.0"
    stable = deployments["swarmstack-worker-triage"]
    assert "SWARMSTACK_WORKER__CODE_VERSION" not in {e["name"] for e in stable["env"]}
    policy = next(o for o in objects if o["metadata"]["name"] == "swarmstack-workers")
    assert "worker-canary" in policy["spec"]["podSelector"]["matchExpressions"][0]["values"]


def test_a_canary_without_a_new_code_version_is_refused_with_a_fix() -> None:
    stable = example_specs("triage+digest")
    same_code = example_specs("triage+digest")[:1]
    with pytest.raises(InvalidInput, match=r"set deploy\.code_version"):
        render_files(stable, same_code)
    orphan = example_canaries("triage+canary")
    with pytest.raises(InvalidInput, match="no stable spec of swarm 'triage'"):
        render_files(example_specs("research"), orphan)
