"""docker-compose: the seed's multi-tier stack. Passwords come from the environment or .env;
the JWT secret and the encryption key from files under `secrets/` mounted as compose secrets
(the manager gets both, workers only the encryption key); none is written into the files.
When the specs name no image (`deploy.image` unset), compose builds the repository's
Dockerfile and tags the result with the default image name, the one `make image` builds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from swarmstack.render.common import PORT, SPEC_DIR, deploy_of, image
from swarmstack.spec import SwarmSpec
from swarmstack.spec.deploy import Deploy

Obj = dict[str, Any]
PG_PASSWORD = "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
REDIS_PASSWORD = "${REDIS_PASSWORD:?set REDIS_PASSWORD in .env}"
GRAFANA_PASSWORD = "${GRAFANA_ADMIN_PASSWORD:?set GRAFANA_ADMIN_PASSWORD in .env}"
# nginx is the only way in from outside and writes X-Forwarded-For itself (nginx.py), so the
# manager believes it from the compose network (docker's private address pools).
TRUSTED_PROXIES = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
SECRETS = {  # compose secret -> the setting's variable; files the operator creates
    "jwt-secret": "SWARMSTACK_SECURITY__JWT_SECRET",
    "encryption-key": "SWARMSTACK_SECURITY__ENCRYPTION_KEY",
}
ENV_EXAMPLE = """# Copy to .env and fill in; docker-compose reads it. Never commit the filled file.
POSTGRES_PASSWORD=
REDIS_PASSWORD=
SWARMSTACK_ADMIN_KEY=
GRAFANA_ADMIN_PASSWORD=
"""
# From `compose/` of `render all -o rendered/` run at the repository root, that root.
DEFAULT_BUILD_CONTEXT = "../.."


def compose(
    specs: Sequence[SwarmSpec], workers: int = 2, build_context: str = DEFAULT_BUILD_CONTEXT
) -> Obj:
    """The compose file's object; `build_context` is the directory holding the Dockerfile,
    relative to the compose file, used when the specs name no image."""
    deploy = deploy_of(specs)
    ours = {"image": image(deploy), **build(deploy, build_context)}
    store = f"postgresql+asyncpg://swarms:{PG_PASSWORD}@postgres:5432/swarms"
    redis = f"redis://:{REDIS_PASSWORD}@redis:6379/0"
    common_env = {
        "SWARMSTACK_STORE__URL": store,
        "REDIS_URL": redis,
        "SWARMSTACK_SPEC_DIR": SPEC_DIR,
        "SWARMSTACK_SERVER__HOST": "0.0.0.0",
    }
    healthy = {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    probe = {
        "test": [
            "CMD",
            "python",
            "-c",
            f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{PORT}/health')",
        ],
        "interval": "10s",
        "timeout": "5s",
        "retries": 5,
        "start_period": "20s",
    }
    specs_volume = [f"./specs:{SPEC_DIR}:ro"]
    return {
        "secrets": {name: {"file": f"./secrets/{name}"} for name in SECRETS},
        "services": {
            "nginx": {
                "image": "nginx:1.27-alpine",
                "ports": ["80:80", "443:443"],
                "volumes": [
                    "./nginx/nginx.conf:/etc/nginx/nginx.conf:ro",
                    "./nginx/tls:/etc/nginx/tls:ro",
                ],
                "depends_on": {"manager": {"condition": "service_healthy"}},
                "healthcheck": {
                    "test": ["CMD", "nginx", "-t"],
                    "interval": "30s",
                    "timeout": "5s",
                    "retries": 3,
                },
                "restart": "unless-stopped",
            },
            "manager": {
                **ours,
                "command": ["serve"],
                "environment": {
                    **common_env,
                    **secret_files(list(SECRETS)),
                    "SWARM_MODE": "manager",
                    "SWARMSTACK_ADMIN_KEY": "${SWARMSTACK_ADMIN_KEY:-}",
                    "SWARMSTACK_SERVER__TRUSTED_PROXIES": TRUSTED_PROXIES,
                },
                "secrets": list(SECRETS),
                "volumes": specs_volume,
                "depends_on": healthy,
                "healthcheck": probe,
                "restart": "unless-stopped",
            },
            "worker": {
                **ours,
                "command": ["serve"],
                "environment": {
                    **common_env,
                    **secret_files(["encryption-key"]),
                    "SWARM_MODE": "worker",
                },
                "secrets": ["encryption-key"],
                "volumes": specs_volume,
                "depends_on": {**healthy, "manager": {"condition": "service_healthy"}},
                "healthcheck": probe,
                "deploy": {"replicas": workers},
                "restart": "unless-stopped",
            },
            "postgres": {
                "image": "postgres:15-alpine",
                "environment": {
                    "POSTGRES_DB": "swarms",
                    "POSTGRES_USER": "swarms",
                    "POSTGRES_PASSWORD": PG_PASSWORD,
                },
                "volumes": ["postgres-data:/var/lib/postgresql/data"],
                "healthcheck": {
                    "test": ["CMD-SHELL", "pg_isready -U swarms -d swarms"],
                    "interval": "5s",
                    "timeout": "5s",
                    "retries": 10,
                },
                "restart": "unless-stopped",
            },
            "redis": {
                "image": "redis:7-alpine",
                "command": [
                    "redis-server",
                    "--appendonly",
                    "yes",
                    "--requirepass",
                    REDIS_PASSWORD,
                ],
                "volumes": ["redis-data:/data"],
                "healthcheck": {
                    "test": ["CMD-SHELL", 'redis-cli -a "$$REDIS_PASSWORD" ping'],
                    "interval": "5s",
                    "timeout": "5s",
                    "retries": 10,
                },
                "environment": {"REDIS_PASSWORD": REDIS_PASSWORD},
                "restart": "unless-stopped",
            },
            "prometheus": {
                "image": "prom/prometheus:v2.53.0",
                "volumes": ["./prometheus:/etc/prometheus:ro", "prometheus-data:/prometheus"],
                "ports": ["9090:9090"],
                "restart": "unless-stopped",
            },
            "alertmanager": {
                "image": "prom/alertmanager:v0.27.0",
                "volumes": ["./alertmanager:/etc/alertmanager:ro"],
                "ports": ["9093:9093"],
                "restart": "unless-stopped",
            },
            "grafana": {
                "image": "grafana/grafana:11.1.0",
                "environment": {"GF_SECURITY_ADMIN_PASSWORD": GRAFANA_PASSWORD},
                "volumes": [
                    "./grafana/provisioning:/etc/grafana/provisioning:ro",
                    "./grafana/dashboards:/var/lib/grafana/dashboards:ro",
                    "grafana-data:/var/lib/grafana",
                ],
                "ports": ["3000:3000"],
                "depends_on": {"prometheus": {"condition": "service_started"}},
                "restart": "unless-stopped",
            },
        },
        "volumes": {
            "postgres-data": {},
            "redis-data": {},
            "prometheus-data": {},
            "grafana-data": {},
        },
    }


def build(deploy: Deploy, context: str) -> Obj:
    """`build` (the Dockerfile under `context`) and `pull_policy: build` when the spec names no
    image of its own, so compose runs this checkout's code, not a registry's image that happens
    to carry the default name; nothing when it names one (`image` or `image_digest`)."""
    if "image" in deploy.model_fields_set or deploy.image_digest:
        return {}
    return {"build": {"context": context, "dockerfile": "Dockerfile"}, "pull_policy": "build"}


def secret_files(names: list[str]) -> dict[str, str]:
    """`<SETTING>_FILE` variables naming where compose mounts the secrets `names`."""
    return {f"{SECRETS[name]}_FILE": f"/run/secrets/{name}" for name in names}


def grafana_provisioning() -> dict[str, Obj]:
    return {
        "datasources/prometheus.yml": {
            "apiVersion": 1,
            "datasources": [
                {
                    "name": "Prometheus",
                    "uid": "prometheus",
                    "type": "prometheus",
                    "access": "proxy",
                    "url": "http://prometheus:9090",
                    "isDefault": True,
                }
            ],
        },
        "dashboards/swarmstack.yml": {
            "apiVersion": 1,
            "providers": [
                {
                    "name": "swarmstack",
                    "type": "file",
                    "options": {"path": "/var/lib/grafana/dashboards"},
                }
            ],
        },
    }
