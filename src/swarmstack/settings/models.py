"""Runtime settings as grouped pydantic models; secrets are `SecretStr` and never printed.

`settings.sources.load_settings` fills them from defaults < config.toml < .env < environment.
Environment names follow from where a key sits (`SWARMSTACK_STORE__URL`,
`SWARMSTACK_WORKER__BATCH_SIZE`); the seed's names (`DATABASE_URL`, `DB_*`, `REDIS_*`,
`SWARM_*`) are mapped in `settings.seed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from swarmstack.settings.housekeeping import RetentionSettings as RetentionSettings
from swarmstack.settings.housekeeping import TracingSettings as TracingSettings
from swarmstack.spec.deploy import ip_networks
from swarmstack.spec.durations import Duration


def split_list(value: object) -> object:
    """A comma-separated string (from the environment) as a list; other values unchanged."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class StoreSettings(BaseModel):
    """Where tasks are stored (and queued)."""

    url: SecretStr = Field(
        SecretStr(""),
        description="SQLAlchemy URL (secret: may hold a password); empty: SQLite under data_dir.",
    )
    pool_size: int = Field(10, ge=1, description="Connections kept open (PostgreSQL).")
    max_overflow: int = Field(10, ge=0, description="Extra connections under load (PostgreSQL).")
    ping_after_idle: Duration = Field(
        0.0,
        ge=0,
        description="Check a pooled connection (one round trip) before use only once it sat idle "
        "this long; 0 checks every use. Above 0 saves that round trip per transaction, but the "
        "first statement on a connection the server dropped then fails with 503 (PostgreSQL).",
    )


class ServerSettings(BaseModel):
    """The manager's HTTP server."""

    host: str = Field("127.0.0.1", description="Address to bind.")
    port: int = Field(8080, ge=0, le=65535, description="Port to bind (the seed's 8080).")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body.")
    max_wait: Duration = Field(60.0, ge=0, description="Longest `?wait=` a client may ask for.")
    submit_batch_size: int = Field(256, ge=1, description="Most submits per commit.")
    route_refresh: Duration = Field(
        1.0,
        gt=0,
        description="How often a manager re-reads every swarm's route: a deploy, step or abort "
        "made elsewhere reaches its routing within this time (a task it routes meanwhile to a "
        "version no longer live is stored on stable).",
    )
    tls_cert: Path | None = Field(None, description="Serve HTTPS with this certificate (PEM).")
    tls_key: Path | None = Field(None, description="Private key of `tls_cert` (PEM).")
    gzip: bool = Field(False, description="Compress responses (the seed's compression=gzip).")
    metrics_enabled: bool = Field(True, description="Serve /metrics (Prometheus).")
    swarms_api: bool = Field(
        False,
        description="Serve the Swarms API shape (/v1/swarm/completions...) and run its "
        "built-in swarm `swarms-api` (docs/swarms.md).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDR blocks of proxies whose X-Forwarded-For is believed for "
        "per-source rate limits (comma-separated in the environment); empty: none is.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (CORS, comma-separated in the "
        "environment); empty: CORS is off and no Access-Control-* header is sent.",
    )

    @field_validator("trusted_proxies", "cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return split_list(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return ip_networks(value)


class WorkerSettings(BaseModel):
    """How workers claim and record tasks (the seed's [communication] batching)."""

    batch_size: int = Field(100, ge=1, description="Most outcomes recorded per commit.")
    claim_batch: int = Field(
        1000, ge=1, description="Most tasks claimed per transaction (up to free capacity)."
    )
    batch_timeout: Duration = Field(
        0.0,
        ge=0,
        description="Extra wait to fill a batch of outcomes (0: a batch is what queued while "
        "the previous one was written, so idle tasks are recorded at once).",
    )
    poll_interval: Duration = Field(0.25, gt=0, description="Idle poll when no wake-up arrives.")
    max_concurrent: int | None = Field(
        None, ge=1, description="Override of runtime.max_concurrent."
    )
    sweep_interval: Duration = Field(1.0, gt=0, description="How often expired leases are swept.")
    drain_timeout: Duration = Field(30.0, ge=0, description="Time to finish tasks on SIGTERM.")
    code_version: str | None = Field(
        None,
        description="The code this worker carries (an image tag or package version); versions "
        "deployed with another code_version are left to workers that carry it.",
    )
    version_refresh: Duration = Field(
        1.0, gt=0, description="How often workers look for newly deployed versions to load."
    )


class RedisSettings(BaseModel):
    """Optional Redis: cross-host wake-ups and event fan-out, and the result cache."""

    url: SecretStr | None = Field(None, description="redis://[:password@]host:port/db")
    cache_ttl: Duration = Field(300.0, ge=0, description="How long finished tasks stay cached.")


class ClusterSettings(BaseModel):
    """How the nodes of one deployment see each other."""

    expected_workers: int | None = Field(
        None, ge=1, description="Workers the deployment should have; `status` flags fewer."
    )
    discovery: Literal["store", "kubernetes", "static"] = Field(
        "store",
        description="Nodes register in the store in every mode; kept to show in `status`.",
    )
    manager_url: str = Field("", description="Manager address the CLI talks to.")


class AgentDefaults(BaseModel):
    """Runtime defaults for swarms whose spec leaves them unset (the seed's [agents])."""

    max_concurrent: int | None = Field(None, ge=1, description="Tasks in flight per worker.")
    timeout: Duration | None = Field(None, gt=0, description="Per-attempt timeout.")
    retry_attempts: int | None = Field(None, ge=0, description="Retries after the first attempt.")
    retry_delay: Duration | None = Field(None, ge=0, description="First retry delay.")
    sync_pool_size: int | None = Field(
        None, ge=1, le=1024, description="Threads per swarm for sync agents and tools (16)."
    )


class LLMSettings(BaseModel):
    """Endpoints of models that agents name without one (`[llm]`)."""

    model_config = ConfigDict(extra="forbid")

    routes: dict[str, str] = Field(
        default_factory=dict,
        description="OpenAI-compatible base URL per model name, for agents imported without an "
        "endpoint (`swarmstack import swarms`, the Swarms API); others use OPENAI_BASE_URL. "
        "In the environment: `model=url` pairs separated by commas.",
    )

    @field_validator("routes", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        """`model=url,model=url` (from the environment) as a mapping; other values unchanged."""
        if not isinstance(value, str):
            return value
        pairs = [p.partition("=") for p in value.split(",") if p.strip()]
        return {model.strip(): url.strip() for model, _, url in pairs}


class SecuritySettings(BaseModel):
    """Credentials, sign-in and tokens, and the keys of encryption at rest (docs/security.md)."""

    admin_key: SecretStr | None = Field(None, description="Admin API key to install at start.")
    jwt_secret: SecretStr | None = Field(
        None,
        description="HS256 secret (at least 32 bytes) that signs sign-in tokens; `up` creates "
        "one in its data directory when none is set. Managers sharing a store need the same one.",
    )
    jwt_previous_secrets: list[SecretStr] = Field(
        default_factory=list,
        description="Older HS256 secrets still accepted for verification while tokens they "
        "signed expire (rotation without logging everyone out).",
    )
    jwt_private_key_file: Path | None = Field(
        None,
        description="PEM Ed25519 or RSA private key: tokens are signed with EdDSA or RS256 "
        "instead of HS256 (jwt_secret, if set, is then only accepted for verification).",
    )
    jwt_public_key_files: list[Path] = Field(
        default_factory=list,
        description="PEM public keys of earlier private keys, still accepted for verification.",
    )
    access_token_ttl: Duration = Field(
        900.0, gt=0, le=86_400, description="Lifetime of a sign-in access token."
    )
    refresh_token_ttl: Duration = Field(
        7 * 86_400.0, gt=0, description="Lifetime of a refresh token (each use rotates it)."
    )
    max_failed_logins: int = Field(
        5, ge=1, description="Failed sign-ins in a row before the account is locked for a while."
    )
    lockout: Duration = Field(
        900.0,
        gt=0,
        description="Longest lock after failed sign-ins (it starts at 30 s and doubles).",
    )

    encryption: bool = Field(
        True,
        description="Encrypt task data at rest (AES-256-GCM). Off only when set false: new "
        "values are then stored in plain text (sealed ones still need their keys to be read).",
    )
    encryption_key: SecretStr | None = Field(
        None,
        description="The data key new values are encrypted with: base64 of 32 random bytes "
        "(`openssl rand -base64 32`); the same on every node of a store.",
    )
    encryption_key_file: Path | None = Field(
        None,
        description="A file of data keys, one base64 key a line, the current first, older "
        "ones after (decrypt only); re-read when it changes. `up` creates "
        "<data_dir>/encryption.key when no key is set.",
    )
    encryption_previous_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Older data keys, to decrypt values stored under them until "
        "`swarmstack keys rotate-data` re-encrypted them (comma-separated in the environment).",
    )

    @field_validator("admin_key", "jwt_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """`KEY=` (or compose's `${KEY:-}` with KEY unset) means no value, not an empty key."""
        return None if value == "" else value

    @field_validator("admin_key")
    @classmethod
    def _an_api_key(cls, value: SecretStr | None) -> SecretStr | None:
        """An admin key must look like an API key, or no request could ever use it."""
        if value is not None:
            key = value.get_secret_value()
            if not key.startswith("ssk_") or len(key) < 16 or not key.isprintable() or " " in key:
                raise ValueError(
                    "an admin key starts with `ssk_` and has at least 16 printable characters "
                    "without spaces; leave it unset and `up` creates one, or make one with "
                    "`echo ssk_$(openssl rand -hex 24)`"
                )
        return value

    @field_validator("jwt_secret", "jwt_previous_secrets")
    @classmethod
    def _long_enough(cls, value: Any) -> Any:
        """HS256 keys of at least 256 bits (RFC 7518 section 3.2)."""
        for secret in value if isinstance(value, list) else [value]:
            if secret is not None and len(secret.get_secret_value().encode()) < 32:
                raise ValueError(
                    "an HS256 secret needs at least 32 bytes; generate one with "
                    "`openssl rand -base64 48`"
                )
        return value

    @field_validator("encryption_previous_keys", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """The environment gives one string: keys separated by commas, spaces or lines."""
        if isinstance(value, str):
            return [part for part in re.split(r"[\s,]+", value) if part]
        return value


@dataclass(frozen=True, slots=True)
class RoleLimits:
    """One role's limits: requests per second, burst, and most queued tasks (0: no cap)."""

    rate: float
    burst: int
    max_queued: int


class RateLimitSettings(BaseModel):
    """Request rates per principal (by role, a key may override) and per source address, and
    caps on queued tasks per principal. Token buckets: `rate` a second, up to `burst` at once."""

    enabled: bool = Field(True, description="Enforce rate limits and queued-task caps at all.")
    admin_rate: float = Field(1000.0, gt=0, description="Requests/s of an admin.")
    admin_burst: int = Field(2000, ge=1, description="Burst of an admin.")
    admin_max_queued: int = Field(0, ge=0, description="Queued tasks of an admin (0: no cap).")
    operator_rate: float = Field(1000.0, gt=0, description="Requests/s of an operator.")
    operator_burst: int = Field(2000, ge=1, description="Burst of an operator.")
    operator_max_queued: int = Field(
        0, ge=0, description="Queued tasks of an operator (0: no cap)."
    )
    submitter_rate: float = Field(100.0, gt=0, description="Requests/s of a submitter.")
    submitter_burst: int = Field(200, ge=1, description="Burst of a submitter.")
    submitter_max_queued: int = Field(
        10_000, ge=0, description="Queued tasks of a submitter (0: no cap)."
    )
    viewer_rate: float = Field(
        50.0, gt=0, description="Requests/s of a viewer (and of a role not listed here)."
    )
    viewer_burst: int = Field(100, ge=1, description="Burst of a viewer.")
    source_rate: float = Field(
        5.0,
        gt=0,
        description="Requests/s per source address without valid credentials, and sign-ins.",
    )
    source_burst: int = Field(20, ge=1, description="Burst per source address.")

    def for_role(self, role: str) -> RoleLimits:
        """The limits of `role`; a role not listed gets a viewer's (and may queue nothing
        more than a viewer, which submits nothing)."""
        if role not in ("admin", "operator", "submitter"):
            role = "viewer"
        return RoleLimits(
            getattr(self, f"{role}_rate"),
            getattr(self, f"{role}_burst"),
            getattr(self, f"{role}_max_queued", 0),
        )


class Settings(BaseModel):
    """All runtime settings of a manager or worker."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["all", "manager", "worker"] = Field("all", description="Process role.")
    data_dir: Path = Field(Path(".swarmstack"), description="Embedded store and keys live here.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Log level of the process."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="`json`: one JSON object per log line (time, level, logger, ...)."
    )
    store: StoreSettings = Field(default_factory=StoreSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    agents: AgentDefaults = Field(default_factory=AgentDefaults)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)

    def store_url(self) -> str:
        """The store URL; SQLite under `data_dir` unless one is set."""
        if url := self.store.url.get_secret_value():
            return url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'swarmstack.db').resolve()}"


# Settings a running process re-reads on SIGHUP (`swarmstack config show` marks the others as
# needing a restart). Secrets named by `${secret:NAME}` need neither: they are read at each use.
LIVE_SETTINGS = frozenset(
    {
        "log_level",
        "log_format",
        "server.max_wait",
        "server.trusted_proxies",
        "worker.batch_size",
        "worker.batch_timeout",
        "worker.claim_batch",
        "worker.poll_interval",
        "worker.max_concurrent",
        "worker.drain_timeout",
        "worker.version_refresh",
        "security.admin_key",
        "security.encryption",
        "security.encryption_key",
        "security.encryption_key_file",
        "security.encryption_previous_keys",
        "security.jwt_secret",
        "security.jwt_previous_secrets",
        "security.jwt_private_key_file",
        "security.jwt_public_key_files",
        "security.access_token_ttl",
        "security.refresh_token_ttl",
        "security.max_failed_logins",
        "security.lockout",
        *(f"rate_limits.{name}" for name in RateLimitSettings.model_fields),
    }
)
