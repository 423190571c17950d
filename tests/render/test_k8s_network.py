"""Network objects: default deny, workers (canary pods too) reach only DNS, data and LLMs."""

from __future__ import annotations

from swarmstack.render.k8s_network import ingress, network_policies, service_monitor
from tests.render.conftest import example_specs


def test_default_deny_then_only_what_each_component_needs() -> None:
    specs = example_specs("triage+digest")
    policies = {p["metadata"]["name"]: p["spec"] for p in network_policies(specs)}
    assert policies["swarmstack-default-deny"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    workers = policies["swarmstack-workers"]
    assert workers["podSelector"]["matchExpressions"][0]["values"] == ["worker", "worker-canary"]
    ports = {p["port"] for rule in workers["egress"] for p in rule["ports"]}
    assert {53, 5432, 6379, 443} <= ports


def test_the_ingress_serves_the_manager_over_tls_and_prometheus_scrapes_metrics() -> None:
    specs = example_specs("triage+digest")
    spec = ingress(specs)["spec"]
    assert spec["tls"][0]["hosts"] == [spec["rules"][0]["host"]]
    assert service_monitor()["spec"]["endpoints"][0]["path"] == "/metrics"
