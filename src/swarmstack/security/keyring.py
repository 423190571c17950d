"""The keyring a node runs with, from its settings, and kept current while it runs.

Called by `node.build_node` (and the maintenance commands) through `live_keyring`. Keys come
from `security.encryption_key` (or a key file, `security.encryption_key_file`) plus
`security.encryption_previous_keys`. A node whose keys are in a key file re-reads it when the
file changes (checked at most every `CHECK_S` seconds) and at once when it meets a value under
a key id it does not know, so `swarmstack keys rotate-data` can put a new key in the file while
nodes run: no read fails, and writes move to the new key within seconds. Keys set in the
settings change on SIGHUP (`Node.reload` calls `LiveKeyring.use`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from swarmstack.errors import SettingsError, UnknownKey
from swarmstack.security.crypto import Keyring, parse_key
from swarmstack.security.keyfile import read_keys
from swarmstack.settings.models import SecuritySettings

log = logging.getLogger(__name__)
CHECK_S = 2.0  # how often a key file is looked at for changes
RETRY_S = 0.5  # how often an unknown key id may send a node to re-read its key file

NO_KEY = SettingsError(
    "encryption at rest is on, but no encryption key is set",
    where="security.encryption_key",
    fix="set SWARM_ENCRYPTION_KEY (or SWARMSTACK_SECURITY__ENCRYPTION_KEY, [security] "
    "encryption_key in config.toml, or a *_FILE of either) to the output of "
    "`openssl rand -base64 32`, the same on every node of the store; or turn encryption off "
    "explicitly with SWARMSTACK_SECURITY__ENCRYPTION=false",
)


def load_keyring(security: SecuritySettings) -> Keyring:
    """The keyring `security` describes. Raises SettingsError when encryption is on and no
    key is set, when both a key and a key file are set, or when a key is not valid."""
    if security.encryption_key is not None and security.encryption_key_file is not None:
        raise SettingsError(
            "both security.encryption_key and security.encryption_key_file are set",
            where="security",
            fix="set one of them",
        )
    texts: list[tuple[str, str]] = []
    if security.encryption_key is not None:
        texts.append((security.encryption_key.get_secret_value(), "security.encryption_key"))
    elif security.encryption_key_file is not None:
        where = f"security.encryption_key_file ({security.encryption_key_file})"
        texts += [(t, where) for t in read_keys(security.encryption_key_file)]
    if security.encryption and not texts:
        raise NO_KEY
    previous = security.encryption_previous_keys
    older = [(s.get_secret_value(), "security.encryption_previous_keys") for s in previous]
    keys = [parse_key(text, where) for text, where in [*texts, *older]]
    if not security.encryption:
        return Keyring(None, keys)  # decrypt what is already sealed, seal nothing new
    return Keyring(keys[0], keys[1:])


class LiveKeyring:
    """A node's keyring, replaced when its key file or settings change (see the module
    docstring). Seals and opens like a `Keyring`."""

    def __init__(self, security: SecuritySettings, keyring: Keyring | None = None) -> None:
        self._security = security
        self.keyring = keyring if keyring is not None else load_keyring(security)
        self._file = security.encryption_key_file
        self._stamp = _stamp(self._file)
        self._checked = time.monotonic()
        self._retried = 0.0

    @property
    def current_kid(self) -> str | None:
        """The id of the key new values are sealed under; None with encryption off."""
        return self.keyring.current_kid

    @property
    def kids(self) -> tuple[str, ...]:
        """Every key id this node opens, the current one first."""
        return self.keyring.kids

    def knows(self, kid: str) -> bool:
        """Whether a value sealed under `kid` can be opened."""
        return self.keyring.knows(kid)

    def seal(self, text: str, column: str) -> str:
        """`text` as stored in `column` (see `Keyring.seal`)."""
        if self._file is not None and time.monotonic() - self._checked >= CHECK_S:
            self.refresh()
        return self.keyring.seal(text, column)

    def open(self, value: str, column: str) -> str:
        """The text of a value stored in `column` (see `Keyring.open`); a value under an
        unknown key id first sends the node to re-read its key file."""
        try:
            return self.keyring.open(value, column)
        except UnknownKey:
            if self._file is None or time.monotonic() - self._retried < RETRY_S:
                raise
            self._retried = time.monotonic()
            self.refresh(force=True)
            return self.keyring.open(value, column)

    def use(self, security: SecuritySettings, keyring: Keyring | None = None) -> None:
        """Run with the keys of `security` from now on (SIGHUP). Raises SettingsError, keeping
        the keys in use, when they are not valid."""
        self.keyring = keyring if keyring is not None else load_keyring(security)
        self._security = security
        self._file = security.encryption_key_file
        self._stamp = _stamp(self._file)

    def refresh(self, force: bool = False) -> bool:
        """Re-read the key file if it changed (or `force`); True when the keys changed."""
        self._checked = time.monotonic()
        stamp = _stamp(self._file)
        if stamp == self._stamp and not force:
            return False
        try:
            fresh = load_keyring(self._security)
        except SettingsError as exc:
            log.error("encryption keys not re-read, the ones in use stay: %s", exc)
            return False
        self._stamp = stamp
        if fresh.kids == self.keyring.kids:
            return False
        log.info("encryption keys re-read from %s: key ids %s", self._file, ", ".join(fresh.kids))
        self.keyring = fresh
        return True


def _stamp(path: Path | None) -> tuple[int, int, int] | None:
    if path is None:
        return None
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size, found.st_ino
