"""Network objects: default deny, workers (canary pods too) reach only DNS, data and LLMs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import ValidationError

from swarmstack.render.k8s import objects
from swarmstack.render.k8s_network import ingress, network_policies, service_monitor
from swarmstack.spec import SwarmSpec
from swarmstack.spec.deploy import Ingress
from tests.render.conftest import example_specs


def with_redis(specs: Sequence[SwarmSpec]) -> list[SwarmSpec]:
    first = specs[0].model_copy(
        update={"deploy": specs[0].deploy.model_copy(update={"redis": True})}
    )
    return [first, *specs[1:]]


def egress_ports(policy: dict[str, Any]) -> set[int]:
    return {p["port"] for rule in policy["egress"] for p in rule["ports"]}


def test_default_deny_then_only_what_each_component_needs() -> None:
    specs = example_specs("triage+digest")
    policies = {p["metadata"]["name"]: p["spec"] for p in network_policies(specs)}
    assert policies["swarmstack-default-deny"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    workers = policies["swarmstack-workers"]
    assert workers["podSelector"]["matchExpressions"][0]["values"] == ["worker", "worker-canary"]
    assert egress_ports(workers) == {53, 5432, 443, 80}
    assert egress_ports(policies["swarmstack-manager"]) == {53, 5432}


def test_redis_is_reachable_only_when_the_deployment_uses_it() -> None:
    policies = {
        p["metadata"]["name"]: p["spec"]
        for p in network_policies(with_redis(example_specs("triage+digest")))
    }
    # managers share rate limits (and signals, the result cache) through it; workers signal
    assert 6379 in egress_ports(policies["swarmstack-manager"])
    assert 6379 in egress_ports(policies["swarmstack-workers"])


def test_the_ingress_serves_the_manager_over_tls_and_prometheus_scrapes_metrics() -> None:
    specs = example_specs("triage+digest")
    spec = ingress(specs)["spec"]
    assert spec["tls"][0]["hosts"] == [spec["rules"][0]["host"]]
    assert service_monitor()["spec"]["endpoints"][0]["path"] == "/metrics"


def test_managers_believe_forwarded_for_only_from_the_ingress_pods_the_spec_names() -> None:
    def manager_env(specs: Sequence[SwarmSpec]) -> dict[str, str]:
        [manager] = [
            o
            for o in objects(specs)
            if o["kind"] == "Deployment" and o["metadata"]["name"] == "swarmstack-manager"
        ]
        return {
            e["name"]: e.get("value", "")
            for e in manager["spec"]["template"]["spec"]["containers"][0]["env"]
        }

    specs = example_specs("triage+digest")
    assert "SWARMSTACK_SERVER__TRUSTED_PROXIES" not in manager_env(specs)
    ingress_spec = specs[0].deploy.ingress.model_copy(
        update={"trusted_proxies": ["10.244.0.0/16", "10.245.1.7"]}
    )
    deploy = specs[0].deploy.model_copy(update={"ingress": ingress_spec})
    trusting = [specs[0].model_copy(update={"deploy": deploy}), *specs[1:]]
    assert manager_env(trusting)["SWARMSTACK_SERVER__TRUSTED_PROXIES"] == "10.244.0.0/16,10.245.1.7"
    with pytest.raises(ValidationError, match="'ingress-nginx' is not an IP address or CIDR block"):
        Ingress(trusted_proxies=["ingress-nginx"])
