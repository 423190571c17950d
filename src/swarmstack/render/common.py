"""What every renderer shares: names, labels, the deployment-wide settings, stable YAML."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import yaml

from swarmstack import __version__
from swarmstack.render.names import APP, swarm_label, worker_name
from swarmstack.spec import SwarmSpec
from swarmstack.spec.deploy import Deploy

__all__ = ["APP", "swarm_label", "worker_name"]
PORT = 8080
UID = 10001
SPEC_DIR = "/etc/swarmstack/config"


def deploy_of(specs: Sequence[SwarmSpec]) -> Deploy:
    """The deployment-wide settings: the first spec's `deploy` section."""
    return specs[0].deploy


def labels(component: str, swarm: str | None = None, version: str | None = None) -> dict[str, str]:
    """The app.kubernetes.io/* labels every object carries."""
    found = {
        "app.kubernetes.io/name": APP,
        "app.kubernetes.io/instance": APP,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": APP,
        "app.kubernetes.io/managed-by": "swarmstack-render",
        "app.kubernetes.io/version": version or __version__,
    }
    if swarm is not None:
        found["swarmstack.dev/swarm"] = swarm_label(swarm)
    return found


def meta(name: str, component: str, swarm: str | None = None) -> dict[str, Any]:
    """`metadata` of an object: its name and the labels of its component."""
    return {"name": name, "labels": labels(component, swarm)}


def selector(component: str, swarm: str | None = None) -> dict[str, str]:
    """The labels that select a component's pods (a stable subset of `labels`)."""
    chosen = {"app.kubernetes.io/name": APP, "app.kubernetes.io/component": component}
    if swarm is not None:
        chosen["swarmstack.dev/swarm"] = swarm_label(swarm)
    return chosen


def image(deploy: Deploy) -> str:
    """The container image, pinned by digest when the spec gives one."""
    if deploy.image_digest:
        return f"{deploy.image.split(':')[0]}@{deploy.image_digest}"
    return deploy.image


def spec_yaml(spec: SwarmSpec) -> str:
    """The spec as YAML (secrets stay `${secret:...}` references)."""
    return dump(spec.model_dump(mode="json", exclude_defaults=True))


def content_hash(*texts: str) -> str:
    """A short hash of the texts, for names that change when their content does."""
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()
    return digest[:10]


def dump(data: Any) -> str:
    """Stable YAML: same input, same bytes."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)


def dump_all(documents: Sequence[Any]) -> str:
    """Several YAML documents in one file."""
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False, width=100)
