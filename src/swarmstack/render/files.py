"""Every rendered file of a deployment, as text, and writing them all or none."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from swarmstack.errors import InvalidInput
from swarmstack.render import compose, k8s, kustomize, monitoring, nginx
from swarmstack.render.common import APP, deploy_of, dump, spec_yaml, worker_name
from swarmstack.render.names import check_distinct
from swarmstack.spec import SwarmSpec


def render_files(specs: Sequence[SwarmSpec]) -> dict[str, str]:
    """Relative path -> content; the same specs always give the same bytes."""
    if not specs:
        raise InvalidInput("no swarm spec to render", fix="pass one or more spec files")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise InvalidInput(f"two specs name the same swarm: {names}", fix="rename one")
    check_distinct(names)
    deploy = deploy_of(specs)
    files: dict[str, str] = {}
    base = kustomize.base_files(k8s.objects(specs), deploy.namespace)
    files |= {f"k8s/base/{name}": text for name, text in base.items()}
    files |= {f"k8s/overlays/{p}": t for p, t in kustomize.overlay_files(specs).items()}
    workers = [worker_name(s.name) for s in specs]
    files |= {
        "compose/docker-compose.yml": dump(compose.compose(specs)),
        "compose/.env.example": compose.ENV_EXAMPLE,
        "compose/nginx/nginx.conf": nginx.nginx_conf(["manager"], deploy.ingress.host),
        "compose/prometheus/prometheus.yml": dump(
            monitoring.prometheus_config([f"manager:{8080}"], ["worker"])
        ),
        "compose/prometheus/alerts.yml": dump(monitoring.rules_file(specs)),
        "compose/prometheus/alerts_test.yml": dump(monitoring.rules_test(specs)),
        "compose/alertmanager/alertmanager.yml": dump(monitoring.alertmanager_config(specs)),
        "compose/grafana/dashboards/swarmstack.json": json.dumps(
            monitoring.dashboard(), indent=2, sort_keys=True
        )
        + "\n",
    }
    files |= {
        f"compose/grafana/provisioning/{p}": dump(o)
        for p, o in compose.grafana_provisioning().items()
    }
    files |= {f"compose/specs/{s.name}.yaml": spec_yaml(s) for s in specs}
    files["README.md"] = readme(deploy.namespace, sorted(deploy.environments), workers)
    return dict(sorted(files.items()))


def readme(namespace: str, environments: list[str], workers: list[str]) -> str:
    envs = ", ".join(environments)
    return f"""# Rendered by `swarmstack render all`

Do not edit by hand: re-render from the specs.

- `k8s/base/`: namespace `{namespace}`, the manager, workers ({", ".join(workers)}), autoscalers,
  disruption budgets, network policies, ingress and monitoring objects.
- `k8s/overlays/`: one per environment ({envs}) and per region. Apply with
  `kubectl apply -k k8s/overlays/<name>` after creating the Secret `{k8s.SECRET}` (keys
  `store-url`, `admin-key`, `keda-connection`, and `redis-url` with `deploy.redis: true`) and
  the TLS Secret.
- `compose/`: `cp .env.example .env`, fill it in, put a certificate in `nginx/tls/`, then
  `docker compose up -d`.
- `compose/prometheus/alerts_test.yml`: `promtool test rules alerts_test.yml` fires each alert.
- {APP} metrics used here are checked against a live /metrics in the project's tests.
"""


def write(files: Mapping[str, str], out: Path) -> list[Path]:
    """Write every file under `out` (rendering already succeeded, so nothing is half-done)."""
    written = []
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
