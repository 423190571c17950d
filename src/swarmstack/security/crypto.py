"""Encryption of stored values with AES-256-GCM under a keyring. Pure: no I/O but the random
nonce. Called by the store for every column that holds task data (see `store.sealed`).

A sealed value is text: `enc1:<kid>:<base64(nonce || ciphertext || tag)>`, where `kid` is
`key_id(key)` (8 hex characters derived from the key, never the key), the nonce is 12 random
bytes per value, and the associated data is the column's name (`tasks.input`), so a value
copied into another column fails its tag check. Opening never returns garbage: an unknown kid
raises `UnknownKey`, a failed tag or a malformed value `DecryptionFailed`.

Plain values (stored before encryption was on, or with it off) read back unchanged. JSON
columns never start with `enc`; a plain text column value that starts with a marker
(`enc0:`/`enc1:`) is written with encryption off as `enc0:` + the text, so it reads back as
written instead of being taken for a sealed value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from swarmstack.errors import DecryptionFailed, SettingsError, UnknownKey

SEALED = "enc1:"  # a sealed value starts with this, then `<kid>:`
ESCAPED = "enc0:"  # a plain text value that would start with a marker, with encryption off
KEY_BYTES = 32  # AES-256
KID_CHARS = 8
NONCE_BYTES = 12
_HEAD = len(SEALED) + KID_CHARS + 1  # `enc1:<kid>:`
_KID_LABEL = b"swarmstack data key id v1\x00"


class Sealer(Protocol):
    """What the store needs of a keyring (a `Keyring`, or a `LiveKeyring` that can change)."""

    @property
    def current_kid(self) -> str | None:
        """The id of the key new values are sealed under; None with encryption off."""
        ...

    @property
    def kids(self) -> tuple[str, ...]:
        """Every key id it opens, the current one first."""
        ...

    def knows(self, kid: str) -> bool:
        """Whether a value sealed under `kid` can be opened."""
        ...

    def seal(self, text: str, column: str) -> str:
        """`text` as stored in `column`."""
        ...

    def open(self, value: str, column: str) -> str:
        """The text of a value stored in `column`."""
        ...


def key_id(key: bytes) -> str:
    """A short, stable id of `key` (stored with each value): the first 8 hex characters of
    SHA-256 over a fixed label and the key. It names the key without revealing it."""
    return hashlib.sha256(_KID_LABEL + key).hexdigest()[:KID_CHARS]


def parse_key(text: str, where: str) -> bytes:
    """The 32 key bytes of base64 `text` (as `openssl rand -base64 32` prints). Raises
    SettingsError naming `where`, never the key."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise SettingsError(
            "the encryption key is not base64 of 32 bytes",
            where=where,
            fix="create one with `openssl rand -base64 32` (or `swarmstack keys rotate-data`)",
        )
    return key


def new_key() -> str:
    """A fresh key as base64 text (32 random bytes)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def kid_of(value: str) -> str | None:
    """The kid a stored value is sealed under, or None for a plain value."""
    return value[len(SEALED) : _HEAD - 1] if value.startswith(SEALED) else None


class Keyring:
    """The current key (seals and opens) and older keys (open only). Immutable.

    With no current key it seals nothing (encryption off) and still opens values sealed under
    any of its older keys.
    """

    __slots__ = ("_current", "_head", "_keys", "current_kid")

    def __init__(self, current: bytes | None = None, previous: Iterable[bytes] = ()) -> None:
        self._keys: dict[str, AESGCM] = {}
        for key in [*([current] if current is not None else []), *previous]:
            kid = key_id(key)
            if kid not in self._keys:
                self._keys[kid] = AESGCM(key)
        self.current_kid = key_id(current) if current is not None else None
        self._current = self._keys[self.current_kid] if self.current_kid else None
        self._head = f"{SEALED}{self.current_kid}:"

    @property
    def kids(self) -> tuple[str, ...]:
        """Every key id this keyring opens, the current one first."""
        return tuple(self._keys)

    def knows(self, kid: str) -> bool:
        """Whether a value sealed under `kid` can be opened."""
        return kid in self._keys

    def cipher(self, kid: str) -> AESGCM:
        """The AES-256-GCM cipher of key `kid` (for whole files: `security.sealed_files`).
        Raises UnknownKey when this keyring lacks it."""
        aead = self._keys.get(kid)
        if aead is None:
            raise unknown_key(kid, "a backup file", self.kids)
        return aead

    def seal(self, text: str, column: str) -> str:
        """`text` sealed under the current key, with `column` as associated data; with
        encryption off, `text` itself (escaped if it looks sealed)."""
        if self._current is None:
            return ESCAPED + text if text.startswith((SEALED, ESCAPED)) else text
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, text.encode(), column.encode())
        return self._head + binascii.b2a_base64(nonce + sealed, newline=False).decode("ascii")

    def open(self, value: str, column: str) -> str:
        """The text of a value stored in `column`: plain values unchanged, sealed ones
        decrypted. Raises UnknownKey or DecryptionFailed, never returns garbage."""
        if not value.startswith("enc"):
            return value
        if value.startswith(ESCAPED):
            return value[len(ESCAPED) :]
        if not value.startswith(SEALED):
            return value
        kid = value[len(SEALED) : _HEAD - 1]
        aead = self._keys.get(kid)
        if aead is None:
            raise unknown_key(kid, column, self.kids)
        try:
            raw = binascii.a2b_base64(value[_HEAD:], strict_mode=True)
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], column.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise DecryptionFailed(
                f"a value in {column} sealed under key {kid} fails its integrity check: it was "
                "changed, copied from another column, or sealed by another key of the same id",
                fix="restore the row from a backup; nothing is returned in its place",
                kid=kid,
                column=column,
            ) from exc


def unknown_key(kid: str, column: str, known: Iterable[str]) -> UnknownKey:
    """The error for a value sealed under a key this node lacks."""
    have = ", ".join(known) or "none"
    return UnknownKey(
        f"a value in {column} is encrypted under key id {kid}, which this node does not have "
        f"(its key ids: {have})",
        kid=kid,
        column=column,
        fix="give this node that key: as security.encryption_key, or among "
        "security.encryption_previous_keys while the store still holds values under it",
    )
