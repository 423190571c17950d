"""A kustomize layout: base/ plus one overlay per environment and per region."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from swarmstack.render.common import APP, deploy_of, dump, labels, worker_name
from swarmstack.render.k8s import Obj
from swarmstack.spec import SwarmSpec


def base_files(objects: Sequence[Obj], namespace: str) -> dict[str, str]:
    """One file per object (numbered in apply order) and the base kustomization."""
    files: dict[str, str] = {}
    for i, obj in enumerate(objects):
        name = f"{i:02d}-{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
        files[name] = dump(obj)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": namespace,
        "resources": list(files),
    }
    return {**files, "kustomization.yaml": dump(kustomization)}


def replace(kind: str, name: str, ops: list[tuple[str, Any]]) -> Obj:
    patch = [{"op": "replace", "path": path, "value": value} for path, value in ops]
    return {"target": {"kind": kind, "name": name}, "patch": dump(patch)}


def ingress_host(host: str) -> Obj:
    return replace("Ingress", APP, [("/spec/rules/0/host", host), ("/spec/tls/0/hosts/0", host)])


def overlay_files(specs: Sequence[SwarmSpec]) -> dict[str, str]:
    """overlays/<env>/ for each environment; overlays/region-<name>/ for each region."""
    deploy = deploy_of(specs)
    files: dict[str, str] = {}
    for env_name, env in sorted(deploy.environments.items()):
        patches: list[Obj] = []
        if env.manager_replicas is not None:
            patches.append(
                replace("Deployment", f"{APP}-manager", [("/spec/replicas", env.manager_replicas)])
            )
        for spec in specs:
            patches += scaling_patches(spec, env.min_replicas, env.max_replicas)
        if env.host:
            patches.append(ingress_host(env.host))
        files[f"{env_name}/kustomization.yaml"] = kustomization(
            patches, {"swarmstack.dev/environment": env_name}
        )
    if deploy.regions:
        weights = {r.name: str(r.weight) for r in deploy.regions}
        for region in deploy.regions:
            host = urlparse(region.endpoint).hostname or region.endpoint
            files[f"region-{region.name}/kustomization.yaml"] = kustomization(
                [ingress_host(host)], {"swarmstack.dev/region": region.name}, weights
            )
    return files


def scaling_patches(spec: SwarmSpec, low: int | None, high: int | None) -> list[Obj]:
    name = worker_name(spec.name)
    keda = spec.scaling.metric == "queue_depth"
    kind = "ScaledObject" if keda else "HorizontalPodAutoscaler"
    ops: list[tuple[str, Any]] = []
    if low is not None:
        ops.append(
            ("/spec/minReplicaCount" if keda else "/spec/minReplicas", max(low, 0 if keda else 1))
        )
    if high is not None:
        ops.append(("/spec/maxReplicaCount" if keda else "/spec/maxReplicas", high))
    return [replace(kind, name, ops)] if ops else []


def kustomization(
    patches: list[Obj], annotations: dict[str, str], weights: dict[str, str] | None = None
) -> str:
    body: Obj = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["../../base"],
        "commonAnnotations": annotations,
    }
    if weights is not None:
        body["configMapGenerator"] = [
            {
                "name": f"{APP}-region-weights",
                "literals": [f"{k}={v}" for k, v in sorted(weights.items())],
                "options": {"labels": labels("config")},
            }
        ]
    if patches:
        body["patches"] = patches
    return dump(body)
