"""Runtime settings as grouped pydantic-settings; secrets are `SecretStr` and never printed.

Environment names follow from where a key sits: `SWARMSTACK_STORE__URL`,
`SWARMSTACK_WORKER__BATCH_SIZE`. `DATABASE_URL` is accepted for the store URL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from swarmstack.spec.durations import Duration


class StoreSettings(BaseModel):
    """Where tasks are stored (and queued)."""

    url: str = Field("", description="SQLAlchemy URL; empty: SQLite under data_dir.")
    pool_size: int = Field(10, ge=1, description="Connections kept open (PostgreSQL).")
    max_overflow: int = Field(10, ge=0, description="Extra connections under load (PostgreSQL).")


class ServerSettings(BaseModel):
    """The manager's HTTP server."""

    host: str = Field("127.0.0.1", description="Address to bind.")
    port: int = Field(8080, ge=0, le=65535, description="Port to bind (the seed's 8080).")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body.")
    max_wait: Duration = Field(60.0, ge=0, description="Longest `?wait=` a client may ask for.")
    submit_batch_size: int = Field(256, ge=1, description="Most submits per commit.")


class WorkerSettings(BaseModel):
    """How workers claim and record tasks (the seed's [communication] batching)."""

    batch_size: int = Field(100, ge=1, description="Most tasks claimed or recorded per commit.")
    batch_timeout: Duration = Field(0.005, ge=0, description="Wait to fill a batch of outcomes.")
    poll_interval: Duration = Field(0.25, gt=0, description="Idle poll when no wake-up arrives.")
    max_concurrent: int | None = Field(
        None, ge=1, description="Override of runtime.max_concurrent."
    )
    sweep_interval: Duration = Field(1.0, gt=0, description="How often expired leases are swept.")
    drain_timeout: Duration = Field(30.0, ge=0, description="Time to finish tasks on SIGTERM.")


class SecuritySettings(BaseModel):
    """Credentials."""

    admin_key: SecretStr | None = Field(None, description="Admin API key to install at start.")


class Settings(BaseSettings):
    """All runtime settings of a manager or worker."""

    model_config = SettingsConfigDict(
        env_prefix="SWARMSTACK_", env_nested_delimiter="__", extra="forbid"
    )

    mode: Literal["all", "manager", "worker"] = Field("all", description="Process role.")
    data_dir: Path = Field(Path(".swarmstack"), description="Embedded store and keys live here.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info")
    store: StoreSettings = Field(default_factory=StoreSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)

    def store_url(self) -> str:
        """The store URL; SQLite under `data_dir` unless one is set."""
        if self.store.url:
            return self.store.url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'swarmstack.db').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with `DATABASE_URL` as an alias of the store URL."""
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if not settings.store.url and (url := os.environ.get("DATABASE_URL")):
        settings = settings.model_copy(
            update={"store": settings.store.model_copy(update={"url": url})}
        )
    return settings
