"""Key files: the data keys of encryption at rest, one base64 key a line, the current first.

Called by `swarmstack up` (which creates `<data_dir>/encryption.key` on first start when no key
is configured), by `security.keyring` (which reads a key file at start and when it changes) and
by `swarmstack keys rotate-data` (which puts a new key on top). Every write goes to a temporary
file created with mode 0600, is fsynced and renamed over the old one, so a reader sees the old
file or the new one, never half of one, and the keys are never readable by others.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from swarmstack.errors import SettingsError
from swarmstack.security.crypto import new_key
from swarmstack.settings.models import Settings

DEFAULT_NAME = "encryption.key"
HEADER = (
    "# swarmstack data encryption keys (AES-256-GCM), base64, one a line: the first encrypts,\n"
    "# the others only decrypt older values. Keep this file secret and backed up with the\n"
    "# store: without it the task data in the store cannot be read.\n"
)


def read_keys(path: Path) -> list[str]:
    """The keys of a key file, the current first. Raises SettingsError when it cannot be
    read or holds no key (the keys themselves are never part of a message)."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise SettingsError(
            f"the encryption key file {path} cannot be read: {exc.strerror}",
            where="security.encryption_key_file",
            fix="point it at the key file (mode 0600) or set security.encryption_key instead",
        ) from exc
    keys = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not keys:
        raise SettingsError(
            f"the encryption key file {path} holds no key",
            where="security.encryption_key_file",
            fix="write a key into it (`openssl rand -base64 32`)",
        )
    return keys


def write_keys(path: Path, keys: list[str]) -> None:
    """Replace the key file with `keys` (the current first), atomically and with mode 0600."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(HEADER + "".join(f"{key}\n" for key in keys))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def create_key_file(path: Path) -> bool:
    """Create `path` with one new key unless it exists; True when it was created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    write_keys(path, [new_key()])
    return True


def add_key(path: Path) -> str:
    """Put a new key on top of the key file (it encrypts from now on; the others stay to
    decrypt older values); the new key's text."""
    key = new_key()
    write_keys(path, [key, *read_keys(path)])
    return key


def with_default_key_file(settings: Settings, create: bool = True) -> tuple[Settings, Path | None]:
    """For `swarmstack up` (and the maintenance commands, with `create` false): when encryption
    is on and no key is configured, the settings with `<data_dir>/encryption.key` as the key
    file, created on first start; the path when it was created now (else None)."""
    security = settings.security
    if not security.encryption or security.encryption_key or security.encryption_key_file:
        return settings, None
    path = (settings.data_dir / DEFAULT_NAME).resolve()
    if not create and not path.exists():
        return settings, None
    created = create_key_file(path)
    updated = security.model_copy(update={"encryption_key_file": path})
    return settings.model_copy(update={"security": updated}), path if created else None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
