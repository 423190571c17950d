"""Every name the renderers derive from user input is valid in its target, and swarms whose
names differ only where a cut or a cleaning would fold them still render apart."""

from __future__ import annotations

import re
from typing import Any

import yaml

from swarmstack.render import render_files
from swarmstack.spec import SwarmSpec, parse_spec

LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SERVICE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
COMPOSE_SERVICE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
PROM_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
SWARMS = [
    "a" * 63,
    "a" * 62 + "b",  # differs only past the cut
    "a" * 45,  # exactly fills `swarmstack-worker-` to 63
    "a" * 46,
    "snake_case",
    "snake-case",
    "trailing-",
    "trailing_",
    "trailing",
]


def spec(name: str, deploy: str = "") -> SwarmSpec:
    text = f"name: {name}\nagents:\n  a: {{kind: python, entrypoint: 'm:f'}}\n{deploy}"
    return parse_spec(text, f"{name}.yaml", {})


DEPLOY = """\
deploy:
  namespace: {ns}
  environments: {{{env}: {{}}, production: {{}}}}
  regions: [{{name: {region}, endpoint: 'https://eu.example', weight: 100}}]
"""


def rendered(ns: str = "n" * 63, env: str = "e" * 63, region: str = "r" * 56) -> dict[str, str]:
    deploy = DEPLOY.format(ns=ns, env=env, region=region)
    return render_files([spec(SWARMS[0], deploy), *(spec(s) for s in SWARMS[1:])])


def k8s_objects(files: dict[str, str]) -> list[dict[str, Any]]:
    return [
        yaml.safe_load(text)
        for path, text in files.items()
        if path.startswith("k8s/base/") and not path.endswith("kustomization.yaml")
    ]


def check_labels(labels: dict[str, str], where: str) -> None:
    for key, value in labels.items():
        assert LABEL_KEY.match(key) and len(key.split("/")[-1]) <= 63, f"{where}: {key}"
        assert len(value) <= 63 and LABEL_VALUE.match(value), f"{where}: {key}={value}"


def walk_labels(node: Any, where: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("labels", "matchLabels") and isinstance(value, dict):
                check_labels(value, where)
            else:
                walk_labels(value, where)
    elif isinstance(node, list):
        for item in node:
            walk_labels(item, where)


def test_every_object_name_and_label_is_valid_and_distinct() -> None:
    objects = k8s_objects(rendered())
    seen: set[tuple[str, str]] = set()
    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        assert len(name) <= 63 and LABEL.match(name), f"{kind} {name}"
        if kind == "Service":
            assert SERVICE.match(name), name
        assert (kind, name) not in seen, f"two {kind}s named {name}"
        seen.add((kind, name))
        walk_labels(obj, f"{kind} {name}")
    workers = [
        o for o in objects if o["kind"] == "Deployment" and "worker" in o["metadata"]["name"]
    ]
    assert len(workers) == len(SWARMS)
    swarm_labels = {w["metadata"]["labels"]["swarmstack.dev/swarm"] for w in workers}
    assert len(swarm_labels) == len(SWARMS)
    assert "swarmstack-worker-" + "a" * 45 in {w["metadata"]["name"] for w in workers}
    envs = {
        e["value"]
        for w in workers
        for e in w["spec"]["template"]["spec"]["containers"][0]["env"]
        if e["name"] == "SWARMSTACK_SWARM"
    }
    assert envs == set(SWARMS)  # the runtime still gets the swarm's own name


def test_overlays_target_the_objects_that_exist() -> None:
    files = rendered()
    names = {(o["kind"], o["metadata"]["name"]) for o in k8s_objects(files)}
    overlays = [p for p in files if p.startswith("k8s/overlays/")]
    assert f"k8s/overlays/{'e' * 63}/kustomization.yaml" in overlays
    assert f"k8s/overlays/region-{'r' * 56}/kustomization.yaml" in overlays
    for path in overlays:
        for patch in yaml.safe_load(files[path]).get("patches", []):
            target = patch["target"]
            assert (target["kind"], target["name"]) in names, f"{path}: {target}"


def test_compose_services_and_prometheus_jobs_are_valid() -> None:
    files = rendered()
    compose = yaml.safe_load(files["compose/docker-compose.yml"])
    assert all(COMPOSE_SERVICE.match(s) for s in compose["services"])
    prometheus = yaml.safe_load(files["compose/prometheus/prometheus.yml"])
    jobs = [c["job_name"] for c in prometheus["scrape_configs"]]
    assert len(jobs) == len(set(jobs)) and all(jobs)
    rules = yaml.safe_load(files["compose/prometheus/alerts.yml"])
    for rule in rules["groups"][0]["rules"]:
        assert all(PROM_LABEL.match(k) for k in rule["labels"])
