"""The seed deployment's names for settings: environment variables and config.toml keys.

Each name maps to a settings key (a dotted path), or to a sentence saying why it is not
supported; nothing is silently ignored. Pure tables and small functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

# Environment variables of the seed's .env.production (and the usual URL variables).
ENV_KEYS: dict[str, str] = {
    "DATABASE_URL": "store.url",
    "REDIS_URL": "redis.url",
    "SWARM_MODE": "mode",
    "SWARM_MANAGER_URL": "cluster.manager_url",
    "SWARM_CLUSTER_SIZE": "cluster.expected_workers",
    "SWARM_DISCOVERY_MODE": "cluster.discovery",
    "SWARM_TLS_CERT": "server.tls_cert",
    "SWARM_TLS_KEY": "server.tls_key",
    "SWARMSTACK_ADMIN_KEY": "security.admin_key",
    "SWARM_JWT_SECRET": "security.jwt_secret",
    "SWARM_ENCRYPTION_KEY": "security.encryption_key",
    "SWARM_ENCRYPTION_KEY_FILE": "security.encryption_key_file",
    "LOG_LEVEL": "log_level",
}
ENV_UNSUPPORTED: dict[str, str] = {
    "PROMETHEUS_ENDPOINT": "Prometheus scrapes each node's /metrics; nothing is pushed to it",
    "GRAFANA_ENDPOINT": "dashboards read Prometheus; `swarmstack render grafana` writes them",
}
DB_PARTS = ("DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD")
REDIS_PARTS = ("REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_DB")

# config.toml: (section, key) -> settings key.
TOML_KEYS: dict[tuple[str, str], str] = {
    ("swarm", "mode"): "mode",
    ("swarm", "manager_url"): "cluster.manager_url",
    ("swarm", "cluster_size"): "cluster.expected_workers",
    ("swarm", "discovery_mode"): "cluster.discovery",
    ("security", "tls_cert"): "server.tls_cert",
    ("security", "tls_key"): "server.tls_key",
    ("security", "jwt_secret"): "security.jwt_secret",
    ("security", "encryption_key"): "security.encryption_key",
    ("agents", "max_concurrent"): "agents.max_concurrent",
    ("agents", "timeout"): "agents.timeout",
    ("agents", "retry_attempts"): "agents.retry_attempts",
    ("agents", "retry_delay"): "agents.retry_delay",
    ("communication", "batch_size"): "worker.batch_size",
    ("communication", "batch_timeout"): "worker.batch_timeout",
    ("monitoring", "metrics_enabled"): "server.metrics_enabled",
    ("monitoring", "log_level"): "log_level",
}
TOML_UNSUPPORTED: dict[tuple[str, str], str] = {}


def toml_value(section: str, key: str, value: object) -> tuple[str | None, object, str | None]:
    """(settings key, value, notice) for one config.toml entry with a special meaning.

    `communication.protocol` must be "http" (nodes talk through the store and HTTP; "grpc" is
    accepted with a notice); `compression = "gzip"` turns on gzip responses; `tracing_enabled`
    is `tracing.enabled`. Other keys come from the tables above.
    """
    if (section, key) == ("communication", "protocol"):
        if value == "http":
            return None, value, None
        return (
            None,
            value,
            (
                f"[communication] protocol = {value!r} is not supported: managers and workers "
                "coordinate through the store (and PostgreSQL/Redis notifications) and serve HTTP"
            ),
        )
    if (section, key) == ("communication", "compression"):
        return "server.gzip", value == "gzip", None
    if (section, key) == ("monitoring", "tracing_enabled"):
        return "tracing.enabled", value, None
    return TOML_KEYS.get((section, key)), value, None


def db_url(env: Mapping[str, str]) -> str | None:
    """A PostgreSQL URL from the seed's DB_* variables, when DB_HOST is set."""
    if not env.get("DB_HOST"):
        return None
    user = quote(env.get("DB_USER", "postgres"), safe="")
    password = env.get("DB_PASSWORD")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host, port = env["DB_HOST"], env.get("DB_PORT", "5432")
    return f"postgresql+asyncpg://{auth}@{host}:{port}/{env.get('DB_NAME', 'swarmstack')}"


def redis_url(env: Mapping[str, str]) -> str | None:
    """A Redis URL from the seed's REDIS_* variables, when REDIS_HOST is set."""
    if not env.get("REDIS_HOST"):
        return None
    password = env.get("REDIS_PASSWORD")
    auth = f":{quote(password, safe='')}@" if password else ""
    host, port = env["REDIS_HOST"], env.get("REDIS_PORT", "6379")
    return f"redis://{auth}{host}:{port}/{env.get('REDIS_DB', '0')}"
