"""How traffic reaches the pods and leaves them: network policies (default deny, then only what
is needed), the Ingress to the managers, and the ServiceMonitor Prometheus scrapes. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from swarmstack.render.common import APP, PORT, deploy_of, meta, selector
from swarmstack.spec import SwarmSpec

Obj = dict[str, Any]


def network_policies(specs: Sequence[SwarmSpec]) -> list[Obj]:
    """Default deny, then only what is needed."""
    deploy = deploy_of(specs)
    app = {"app.kubernetes.io/name": APP}
    dns = {
        "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }
    data = {"ports": [{"protocol": "TCP", "port": 5432}]}
    if deploy.redis:  # signals, the result cache and shared rate limits
        data["ports"].append({"protocol": "TCP", "port": 6379})
    monitoring = from_namespace(deploy.ingress.monitoring_namespace)
    controller = from_namespace(deploy.ingress.controller_namespace)
    llm = {
        "to": [{"ipBlock": {"cidr": cidr}} for cidr in deploy.llm_egress_cidrs],
        "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 80}],
    }

    def policy(name: str, pods: Obj, types: list[str], rules: Obj) -> Obj:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta(f"{APP}-{name}", "network"),
            "spec": {"podSelector": pods, "policyTypes": types, **rules},
        }

    return [
        policy("default-deny", {}, ["Ingress", "Egress"], {}),
        policy(
            "manager",
            {"matchLabels": selector("manager")},
            ["Ingress", "Egress"],
            {"ingress": [controller, monitoring], "egress": [dns, data]},
        ),
        policy(
            "workers",
            {
                "matchLabels": app,
                "matchExpressions": [
                    {
                        "key": "app.kubernetes.io/component",
                        "operator": "In",
                        "values": ["worker", "worker-canary"],
                    }
                ],
            },
            ["Ingress", "Egress"],
            {"ingress": [monitoring], "egress": [dns, data, llm]},
        ),
    ]


def from_namespace(name: str) -> Obj:
    """An ingress rule: pods of namespace `name` may reach port 8080."""
    chosen = {"matchLabels": {"kubernetes.io/metadata.name": name}}
    return {"from": [{"namespaceSelector": chosen}], "ports": [{"protocol": "TCP", "port": PORT}]}


def ingress(specs: Sequence[SwarmSpec]) -> Obj:
    spec = deploy_of(specs).ingress
    backend = {"service": {"name": f"{APP}-manager", "port": {"name": "http"}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            **meta(APP, "manager"),
            "annotations": {
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "300",
                "nginx.ingress.kubernetes.io/proxy-body-size": "1m",
                "nginx.ingress.kubernetes.io/ssl-redirect": "true",
            },
        },
        "spec": {
            "ingressClassName": spec.class_name,
            "tls": [{"hosts": [spec.host], "secretName": spec.tls_secret}],
            "rules": [
                {
                    "host": spec.host,
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
                }
            ],
        },
    }


def service_monitor() -> Obj:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": meta(APP, "monitoring"),
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": APP}},
            "endpoints": [{"port": "http", "path": "/metrics", "interval": "15s"}],
        },
    }
