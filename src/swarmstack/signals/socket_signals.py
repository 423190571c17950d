"""Signals between the processes of one host that share a SQLite store, over Unix datagrams.

SQLite has no LISTEN/NOTIFY, so without this a worker process of `swarmstack up --workers N`
learns of new work only at its next poll (`worker.poll_interval`), and the manager of finished
tasks only at its waiters' next poll. Here each node binds a datagram socket in a directory that
belongs to the store (`socket_dir`) and sends each coalesced payload to every other socket
there: a wake-up costs one `sendto` per peer, no broker and no polling.

A node that binds says hello to the others, and a datagram from a socket not yet listed makes
the receiver list the directory again, so a node that joins is signalled from then on.
Signals stay hints (`signals.remote`): a datagram that cannot be delivered (a full receive
buffer, a peer that just exited) is dropped and the store's polling covers it. Sockets of nodes
that died without cleaning up refuse datagrams (ECONNREFUSED) and are removed by the next
sender. The directory is created with mode 0700 under the user's runtime directory
(`$XDG_RUNTIME_DIR`, else the system temp directory), named by a hash of the store file's path,
because a Unix socket path may hold only 107 bytes (unix(7)).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import stat
import tempfile
import time
from pathlib import Path

from swarmstack.signals.remote import RemoteSignals

log = logging.getLogger(__name__)
SUFFIX = ".sock"
PEERS_TTL_S = 0.5  # how long a listing of the peers' sockets is reused
RECEIVE_BUFFER = 1 << 20  # bytes: room for bursts of payloads between two reads


def socket_dir(store_path: str) -> Path:
    """The directory of the signal sockets of the SQLite store at `store_path`: the same for
    every process on this host that opens that file, whatever path it used."""
    real = os.path.realpath(store_path)
    digest = hashlib.sha256(real.encode()).hexdigest()[:16]
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"swarmstack-{os.getuid()}" / digest


class SocketSignals(RemoteSignals):
    """One datagram socket per node in `directory`; payloads go to every other socket there."""

    channel = "unix-datagrams"

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        self.path = directory / f"{self.node}{SUFFIX}"
        self._sock: socket.socket | None = None
        self._closed = asyncio.Event()
        self._peers: list[str] = []
        self._peers_at = 0.0

    async def _connect(self) -> None:
        _private_dir(self.directory)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.setblocking(False)
            sock.bind(str(self.path))
        except OSError:
            sock.close()
            raise
        self._sock, self._closed = sock, asyncio.Event()
        asyncio.get_running_loop().add_reader(sock.fileno(), self._read)
        self._peers_at = 0.0
        await self._publish(json.dumps({"n": self.node}))  # hello: peers list us at once

    async def _disconnect(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(sock.fileno())
        sock.close()
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):  # the last node out removes the directory
            self.directory.rmdir()
        self._closed.set()

    async def _listen(self) -> None:
        await self._closed.wait()
        raise ConnectionError("the signal socket closed")

    async def _publish(self, payload: str) -> None:
        data = payload.encode()
        for peer in self._peer_paths():
            self._send(data, peer)

    def _send(self, data: bytes, peer: str) -> None:
        if self._sock is None:
            return
        try:
            self._sock.sendto(data, peer)
        except BlockingIOError:
            log.debug("signal to %s dropped: its receive buffer is full", peer)
        except (ConnectionRefusedError, FileNotFoundError):  # its node died: clean up after it
            with contextlib.suppress(OSError):
                os.unlink(peer)
            self._peers_at = 0.0
        except OSError as exc:
            log.debug("signal to %s dropped: %s", peer, exc)

    def _peer_paths(self) -> list[str]:
        now = time.monotonic()
        if now - self._peers_at > PEERS_TTL_S:
            mine = self.path.name
            try:
                names = os.listdir(self.directory)
            except OSError:
                names = []
            self._peers = [
                str(self.directory / n) for n in names if n.endswith(SUFFIX) and n != mine
            ]
            self._peers_at = now
        return self._peers

    def _read(self) -> None:
        """Deliver every datagram waiting on the socket (called by the event loop)."""
        while self._sock is not None:
            try:
                data, sender = self._sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("signal socket failed: %s", exc)
                self._closed.set()
                return
            if sender and sender not in self._peers:  # a node that joined since our listing
                self._peers_at = 0.0
            self.received(data.decode("utf-8", "replace"))


def _private_dir(directory: Path) -> None:
    """Create `directory` (and its parent) with mode 0700, or refuse one that another user owns
    or others can write to (another user could then send this node signals)."""
    for path in (directory.parent, directory):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
        info = path.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise PermissionError(f"{path} is not a directory of this user")
        if info.st_mode & 0o077:
            raise PermissionError(f"{path} is open to other users (mode {info.st_mode:o})")
