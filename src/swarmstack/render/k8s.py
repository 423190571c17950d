"""Kubernetes objects of a deployment: one manager Deployment, one worker Deployment per swarm,
and what they need (config, accounts, services, autoscalers, budgets, policies, ingress,
monitoring). Pure: specs in, a list of objects out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from swarmstack.render.common import (
    APP,
    PORT,
    SPEC_DIR,
    UID,
    content_hash,
    deploy_of,
    image,
    labels,
    meta,
    selector,
    spec_yaml,
    worker_name,
)
from swarmstack.render.k8s_network import ingress, network_policies, service_monitor
from swarmstack.render.k8s_secrets import SECRETS_DIR, keda_auth, secret_env, secret_volume
from swarmstack.render.monitoring import prometheus_rule
from swarmstack.render.names import safe_name
from swarmstack.spec import SwarmSpec

Obj = dict[str, Any]


def objects(specs: Sequence[SwarmSpec], canaries: Sequence[SwarmSpec] = ()) -> list[Obj]:
    """Every object of the base layer, in apply order. Each of `canaries` (a new version of a
    swarm that needs new code) gets worker pods of its own image and code version."""
    deploy = deploy_of(specs)
    config = config_map(specs)
    found: list[Obj] = [namespace(deploy.namespace)]
    found += [service_account(role) for role in ("manager", "worker")]
    found += [config, keda_auth()]
    found += manager_objects(config["metadata"]["name"], specs)
    for spec in specs:
        found += worker_objects(config["metadata"]["name"], spec, specs)
    for canary in canaries:
        found += canary_objects(config["metadata"]["name"], canary, specs)
    found += network_policies(specs)
    found += [ingress(specs), service_monitor(), prometheus_rule(specs)]
    return [in_namespace(obj, deploy.namespace) for obj in found]


def in_namespace(obj: Obj, namespace: str) -> Obj:
    """The object with `metadata.namespace` set (all but the Namespace itself)."""
    if obj["kind"] == "Namespace":
        return obj
    metadata = {"name": obj["metadata"]["name"], "namespace": namespace, **obj["metadata"]}
    return {**obj, "metadata": metadata}


def namespace(name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                **labels("namespace"),
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    }


def service_account(role: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(f"{APP}-{role}", role),
        "automountServiceAccountToken": False,
    }


def config_map(specs: Sequence[SwarmSpec]) -> Obj:
    """The specs, in a ConfigMap whose name changes with them (a rollback restores config)."""
    data = {f"{s.name}.yaml": spec_yaml(s) for s in specs}
    suffix = content_hash(*(f"{k}\n{v}" for k, v in sorted(data.items())))
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(f"{APP}-specs-{suffix}", "config"),
        "data": data,
    }


def pod_security() -> Obj:
    return {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "fsGroup": UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security() -> Obj:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def probe(path: str, delay: int, period: int, failures: int = 3) -> Obj:
    return {
        "httpGet": {"path": path, "port": "http"},
        "initialDelaySeconds": delay,
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def pod(
    role: str,
    swarm: str | None,
    config: str,
    env: list[Obj],
    resources: Obj,
    image_ref: str,
    specs: Sequence[SwarmSpec],
) -> Obj:
    """A restricted pod running `swarmstack serve` with the specs and the keys of the Secret
    its role needs mounted read-only (found through `<SETTING>_FILE` variables)."""
    container = {
        "name": role,
        "image": image_ref,
        "imagePullPolicy": "IfNotPresent",
        "args": ["serve"],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": [
            {"name": "SWARM_MODE", "value": "manager" if role == "manager" else "worker"},
            {"name": "SWARMSTACK_SPEC_DIR", "value": SPEC_DIR},
            {"name": "SWARMSTACK_SERVER__HOST", "value": "0.0.0.0"},
            {"name": "HOME", "value": "/tmp"},
            *secret_env(role, specs),
            *env,
        ],
        "resources": resources,
        "securityContext": container_security(),
        "startupProbe": probe("/health", 0, 2, failures=30),
        "livenessProbe": probe("/health", 30, 10),
        "readinessProbe": probe("/ready", 5, 5),
        "volumeMounts": [
            {"name": "specs", "mountPath": SPEC_DIR, "readOnly": True},
            {"name": "secrets", "mountPath": SECRETS_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    return {
        "metadata": {"labels": labels(role, swarm)},
        "spec": {
            "terminationGracePeriodSeconds": 60,
            "serviceAccountName": f"{APP}-{role}",
            "automountServiceAccountToken": False,
            "securityContext": pod_security(),
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": selector(role, swarm)},
                }
            ],
            "containers": [container],
            "volumes": [
                {"name": "specs", "configMap": {"name": config}},
                secret_volume(role, specs),
                {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
            ],
        },
    }


def manager_objects(config: str, specs: Sequence[SwarmSpec]) -> list[Obj]:
    deploy = deploy_of(specs)
    trusted = ",".join(deploy.ingress.trusted_proxies)
    proxies = [{"name": "SWARMSTACK_SERVER__TRUSTED_PROXIES", "value": trusted}] if trusted else []
    name = f"{APP}-manager"
    resources = {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, "manager"),
        "spec": {
            "replicas": deploy.manager_replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector("manager")},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}},
            "template": pod("manager", None, config, proxies, resources, image(deploy), specs),
        },
    }
    return [deployment, service(name, "manager", None), pdb(name, "manager", None)]


def code_env(spec: SwarmSpec) -> list[Obj]:
    """The code version a worker declares: it runs only versions needing none or this one."""
    version = spec.deploy.code_version
    return (
        [] if version is None else [{"name": "SWARMSTACK_WORKER__CODE_VERSION", "value": version}]
    )


def canary_objects(config: str, canary: SwarmSpec, specs: Sequence[SwarmSpec]) -> list[Obj]:
    """Worker pods for a new code version of a swarm: its own image, declaring its
    code_version, so `swarmstack deploy` of that version runs there and only there. They
    mount the stable specs and load the new version from the store (`worker.code_version`)."""
    component = "worker-canary"
    name = canary_worker_name(canary)
    env = [{"name": "SWARMSTACK_SWARM", "value": canary.name}, *code_env(canary)]
    resources = canary.resources.model_dump()
    template = pod(component, canary.name, config, env, resources, image(canary.deploy), specs)
    template["spec"]["serviceAccountName"] = f"{APP}-worker"
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            **meta(name, component, canary.name),
            "annotations": {"swarmstack.dev/release": canary.release},
        },
        "spec": {
            "replicas": max(1, canary.scaling.min_replicas),
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(component, canary.name)},
            "template": template,
        },
    }
    return [deployment, service(name, component, canary.name), pdb(name, component, canary.name)]


def canary_worker_name(canary: SwarmSpec) -> str:
    """`<worker name>-<code version>` with dots and underscores as dashes, kept a DNS label
    (cut with a hash when too long)."""
    tag = re.sub(r"[._]", "-", (canary.deploy.code_version or "canary").lower())
    return safe_name(f"{worker_name(canary.name)}-{tag}")


def worker_objects(config: str, spec: SwarmSpec, specs: Sequence[SwarmSpec]) -> list[Obj]:
    deploy = deploy_of(specs)
    name = worker_name(spec.name)
    env = [{"name": "SWARMSTACK_SWARM", "value": spec.name}, *code_env(spec)]
    resources = spec.resources.model_dump()
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            **meta(name, "worker", spec.name),
            "annotations": {"swarmstack.dev/release": spec.release},
        },
        "spec": {  # no `replicas`: the autoscaler owns it
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector("worker", spec.name)},
            "template": pod("worker", spec.name, config, env, resources, image(deploy), specs),
        },
    }
    return [
        deployment,
        service(name, "worker", spec.name),
        pdb(name, "worker", spec.name),
        autoscaler(name, spec),
    ]


def service(name: str, component: str, swarm: str | None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, component, swarm),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(component, swarm),
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def pdb(name: str, component: str, swarm: str | None) -> Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(name, component, swarm),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(component, swarm)}},
    }


def autoscaler(name: str, spec: SwarmSpec) -> Obj:
    """A KEDA ScaledObject on queue depth, or an HPA on CPU or memory; never both."""
    scaling = spec.scaling
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    if scaling.metric == "queue_depth":
        query = (
            "SELECT count(*) FROM tasks WHERE swarm = '"
            + spec.name.replace("'", "''")
            + "' AND status = 'queued'"
        )
        return {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": meta(name, "worker", spec.name),
            "spec": {
                "scaleTargetRef": {"name": name},
                "minReplicaCount": scaling.min_replicas,
                "maxReplicaCount": scaling.max_replicas,
                "pollingInterval": 15,
                "cooldownPeriod": 120,
                "fallback": {"failureThreshold": 3, "replicas": max(1, scaling.min_replicas)},
                "triggers": [
                    {
                        "type": "postgresql",
                        "metadata": {
                            "query": query,
                            "targetQueryValue": str(scaling.target_queue_depth),
                        },
                        "authenticationRef": {"name": f"{APP}-store"},
                    }
                ],
            },
        }
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(name, "worker", spec.name),
        "spec": {
            "scaleTargetRef": target,
            "minReplicas": max(1, scaling.min_replicas),
            "maxReplicas": scaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": scaling.metric,
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": scaling.target_utilization,
                        },
                    },
                }
            ],
        },
    }
