"""Sealed files open to exactly what was written; a changed, moved, cut or foreign one fails."""

from __future__ import annotations

import io
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from swarmstack.errors import DecryptionFailed
from swarmstack.security.sealed_files import CHUNK_BYTES, OpeningReader, SealingWriter

KEY = AESGCM(bytes(range(32)))


def sealed(plain: bytes, label: str = "b/tasks") -> bytes:
    out = io.BytesIO()
    writer = SealingWriter(out, KEY, label)
    for start in range(0, len(plain), 70_000):
        writer.write(plain[start : start + 70_000])
    writer.close()
    return out.getvalue()


def opened(data: bytes, label: str = "b/tasks", key: AESGCM = KEY) -> bytes:
    return io.BufferedReader(OpeningReader(io.BytesIO(data), key, label)).read()


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES - 5])
def test_round_trip(size: int) -> None:
    plain = os.urandom(size)
    assert opened(sealed(plain)) == plain


def test_changed_moved_cut_or_foreign_files_fail() -> None:
    data = sealed(os.urandom(2 * CHUNK_BYTES + 10))
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 1
    cases = {
        "changed": (bytes(flipped), "b/tasks", KEY),
        "other label": (data, "b/users", KEY),
        "cut short": (data[: len(data) - 100], "b/tasks", KEY),
        "last frame dropped": (
            data[: len(sealed(os.urandom(2 * CHUNK_BYTES))) - 20],
            "b/tasks",
            KEY,
        ),
        "other key": (data, "b/tasks", AESGCM(bytes(32))),
        "not sealed": (b"plain text", "b/tasks", KEY),
    }
    for name, (blob, label, key) in cases.items():
        with pytest.raises(DecryptionFailed, match="cannot be opened"):
            opened(blob, label, key)
        assert name
