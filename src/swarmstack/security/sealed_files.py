"""Whole files sealed with AES-256-GCM, streamed in chunks: the tables of a backup archive.

Called by `store.backup_archive`, which seals each table file under the at-rest key (the
current key of the node's keyring) and opens it again on restore. A sealed file is `MAGIC`, then
frames `<4-byte big-endian length><12-byte random nonce><ciphertext || 16-byte tag>`, each the
seal of at most `CHUNK_BYTES` of plain bytes. The associated data of a frame is the file's label
(the backup's id and the member's name), the frame's index and whether it is the last one, so a
frame moved, dropped, replayed from another file or backup, or a file cut short, fails to open:
`DecryptionFailed`, never garbage.
"""

from __future__ import annotations

import io
import os
import struct
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from swarmstack.errors import DecryptionFailed
from swarmstack.security.crypto import NONCE_BYTES

MAGIC = b"swarmstack-sealed-file-1\n"
CHUNK_BYTES = 1 << 20  # plain bytes per frame (1 MiB)
_LENGTH = struct.Struct(">I")
_TAG_BYTES = 16


def _aad(label: str, index: int, last: bool) -> bytes:
    return label.encode() + b"\x00" + struct.pack(">QB", index, int(last))


class SealingWriter(io.RawIOBase):
    """A writable file that seals what is written to it into `out` (not closed here).
    `close()` writes the last frame: without it the file does not open."""

    def __init__(self, out: IO[bytes], aead: AESGCM, label: str) -> None:
        super().__init__()
        self._out, self._aead, self._label = out, aead, label
        self._buffer = bytearray()
        self._index = 0
        out.write(MAGIC)

    def writable(self) -> bool:
        """Always: this is a writer."""
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        """Buffer `data`, sealing every full chunk; the number of bytes taken."""
        self._buffer += data
        while len(self._buffer) > CHUNK_BYTES:
            self._frame(bytes(self._buffer[:CHUNK_BYTES]), last=False)
            del self._buffer[:CHUNK_BYTES]
        return len(data)

    def close(self) -> None:
        """Seal what is left as the last frame (once)."""
        if not self.closed:
            self._frame(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()

    def _frame(self, plain: bytes, last: bool) -> None:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain, _aad(self._label, self._index, last))
        self._out.write(_LENGTH.pack(len(sealed)) + nonce + sealed)
        self._index += 1


class OpeningReader(io.RawIOBase):
    """A readable file of the plain bytes of a sealed file read from `source`. Raises
    DecryptionFailed (naming `label`) when a frame fails its check or the file is cut short."""

    def __init__(self, source: IO[bytes], aead: AESGCM, label: str) -> None:
        super().__init__()
        self._source, self._aead, self._label = source, aead, label
        self._plain = b""
        self._index = 0
        self._ended = False
        if source.read(len(MAGIC)) != MAGIC:
            raise self._failed("it is not a sealed swarmstack file")

    def readable(self) -> bool:
        """Always: this is a reader."""
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill `buffer` with plain bytes; 0 at the end."""
        while not self._plain and not self._ended:
            self._plain = self._next_frame()
        size = min(len(buffer), len(self._plain))
        buffer[:size] = self._plain[:size]
        self._plain = self._plain[size:]
        return size

    def _next_frame(self) -> bytes:
        head = self._source.read(_LENGTH.size + NONCE_BYTES)
        if len(head) < _LENGTH.size + NONCE_BYTES:
            raise self._failed("it ends before its last frame (cut short)")
        (length,) = _LENGTH.unpack(head[: _LENGTH.size])
        sealed = self._source.read(length)
        if length < _TAG_BYTES or len(sealed) != length:
            raise self._failed("a frame is cut short")
        nonce = head[_LENGTH.size :]
        for last in (False, True):
            try:
                plain = self._aead.decrypt(nonce, sealed, _aad(self._label, self._index, last))
            except InvalidTag:
                continue
            self._index += 1
            self._ended = last
            return plain
        raise self._failed(f"frame {self._index} fails its integrity check")

    def _failed(self, why: str) -> DecryptionFailed:
        return DecryptionFailed(
            f"the sealed file {self._label} cannot be opened: {why}; it was changed, cut short, "
            "or sealed under another key",
            fix="use an intact copy of the backup and the key it was written under",
        )
