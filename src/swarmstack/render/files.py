"""Every rendered file of a deployment, as text, and writing them all or none."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from swarmstack.errors import InvalidInput
from swarmstack.render import compose, k8s, kustomize, monitoring, nginx
from swarmstack.render.common import APP, deploy_of, dump, spec_yaml, worker_name
from swarmstack.render.k8s_secrets import SECRET
from swarmstack.render.names import check_distinct
from swarmstack.spec import SwarmSpec


def render_files(
    specs: Sequence[SwarmSpec],
    canaries: Sequence[SwarmSpec] = (),
    build_context: str = compose.DEFAULT_BUILD_CONTEXT,
) -> dict[str, str]:
    """Relative path -> content; the same specs always give the same bytes. `build_context`:
    the Dockerfile's directory relative to `compose/` (compose builds it when the specs name no
    image). `canaries` are
    new versions of some of the swarms that need new code: each gets worker pods of its own
    image that declare its `deploy.code_version` (InvalidInput when one has none, names no
    swarm of `specs`, or shares the stable version's code version)."""
    if not specs:
        raise InvalidInput("no swarm spec to render", fix="pass one or more spec files")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise InvalidInput(f"two specs name the same swarm: {names}", fix="rename one")
    check_distinct(names)
    check_canaries(specs, canaries)
    deploy = deploy_of(specs)
    files: dict[str, str] = {}
    base = kustomize.base_files(k8s.objects(specs, canaries), deploy.namespace)
    files |= {f"k8s/base/{name}": text for name, text in base.items()}
    files |= {f"k8s/overlays/{p}": t for p, t in kustomize.overlay_files(specs).items()}
    workers = [worker_name(s.name) for s in specs]
    files |= {
        "compose/docker-compose.yml": dump(compose.compose(specs, build_context=build_context)),
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


def check_canaries(specs: Sequence[SwarmSpec], canaries: Sequence[SwarmSpec]) -> None:
    """Each canary is a new code version of one of `specs` (see `render_files`)."""
    stable = {s.name: s for s in specs}
    seen: set[str] = set()
    for canary in canaries:
        where = f"canary {canary.name}"
        if canary.name not in stable:
            raise InvalidInput(
                f"{where}: no stable spec of swarm {canary.name!r} is rendered with it",
                fix="pass the swarm's current spec too (render SPEC... --canary NEW_SPEC)",
            )
        version = canary.deploy.code_version
        if version is None or version == stable[canary.name].deploy.code_version:
            raise InvalidInput(
                f"{where}: set deploy.code_version to the new code's version (its image tag), "
                "different from the stable spec's",
                fix="a canary of a spec-only change needs no new pods: just `swarmstack deploy` it",
            )
        name = k8s.canary_worker_name(canary)
        if name in seen:
            raise InvalidInput(f"{where}: two canaries render to {name!r}", fix="keep one")
        seen.add(name)


def readme(namespace: str, environments: list[str], workers: list[str]) -> str:
    envs = ", ".join(environments)
    return f"""# Rendered by `swarmstack render all`

Do not edit by hand: re-render from the specs.

- `k8s/base/`: namespace `{namespace}`, the manager, workers ({", ".join(workers)}), autoscalers,
  disruption budgets, network policies, ingress and monitoring objects.
- `k8s/overlays/`: one per environment ({envs}) and per region. Apply with
  `kubectl apply -k k8s/overlays/<name>` after creating the Secret `{SECRET}` (keys
  `store-url`, `admin-key`, `keda-connection`, `jwt-secret`, `encryption-key`, and `redis-url`
  with `deploy.redis: true`) and the TLS Secret.
- `compose/`: `cp .env.example .env`, fill it in, put the JWT secret and the encryption key in
  `secrets/jwt-secret` and `secrets/encryption-key` and a certificate in `nginx/tls/`, then
  `docker compose up -d`. The commands are in swarmstack's docs/security.md.
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
