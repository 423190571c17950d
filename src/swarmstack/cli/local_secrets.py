"""Secrets `swarmstack up` keeps in its data directory when none is configured, so a first
start is secure without any setup: created once (mode 0600, never printed), reused after.

Production deployments (`serve`, the rendered manifests) configure their secrets instead.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from swarmstack.errors import SettingsError
from swarmstack.settings import Settings

JWT_SECRET_FILE = "jwt.secret"


def local_secret(path: Path, make: str) -> tuple[str, bool]:
    """The secret in `path`, creating it from `make` (mode 0600) if absent; (value, created).
    Raises SettingsError when the file exists but cannot be read or is empty."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path), False
    with os.fdopen(fd, "w") as out:
        out.write(make + "\n")
    return make, True


def _read(path: Path) -> str:
    try:
        value = path.read_text().strip()
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc}", fix="fix its permissions") from exc
    if not value:
        raise SettingsError(f"{path} is empty", fix="delete it: `up` creates a new one")
    return value


def with_jwt_secret(settings: Settings) -> tuple[Settings, Path | None]:
    """`settings` with a token signing secret from the data directory when none is set;
    the file's path when it was just created."""
    security = settings.security
    if security.jwt_secret is not None or security.jwt_private_key_file is not None:
        return settings, None
    path = settings.data_dir / JWT_SECRET_FILE
    value, created = local_secret(path, secrets.token_urlsafe(48))
    secured = security.model_copy(update={"jwt_secret": SecretStr(value)})
    return settings.model_copy(update={"security": secured}), path if created else None
