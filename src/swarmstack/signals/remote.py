"""Signals shared by every node of a deployment over a message channel (PostgreSQL or Redis).

Each node delivers its own signals locally at once and, while connected, publishes them; what
other nodes publish is delivered locally on arrival. Publishing is coalesced (one wake-up and one
batch of ids per send) and never blocks the caller. While the channel is down, signals stay
local and nodes fall back to polling the store; the channel reconnects on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Sequence

from swarmstack.signals.local import Forwarding, LocalSignals

log = logging.getLogger(__name__)
MAX_IDS_PER_MESSAGE = 150  # keeps a payload under PostgreSQL's 8,000-byte NOTIFY limit
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)


class RemoteSignals(Forwarding):
    """The Signals protocol over a channel; subclasses provide connect, publish and listen."""

    channel = "swarmstack"

    def __init__(self) -> None:
        self.node = secrets.token_hex(6)
        self.local = LocalSignals()
        self.connected = asyncio.Event()
        self._work = False
        self._finished: list[str] = []
        self._cancelled: list[str] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def _forward(
        self, *, work: bool = False, finished: Sequence[str] = (), cancelled: Sequence[str] = ()
    ) -> None:
        self.send(work=work, finished=finished, cancelled=cancelled)

    async def start(self) -> None:
        """Start connecting in the background (the node works meanwhile)."""
        self._tasks = [asyncio.create_task(self._keep_connected(), name=f"{self.channel}-link")]

    async def aclose(self) -> None:
        """Stop and disconnect."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._disconnect()

    # --- for a node with two links (see dual_signals) ---------------------------------------
    def send(
        self, *, work: bool = False, finished: Sequence[str] = (), cancelled: Sequence[str] = ()
    ) -> bool:
        """Queue signals for the other nodes only (no local delivery); False if the link is down."""
        if not self.connected.is_set():
            return False
        self._work = self._work or work
        self._finished.extend(finished)
        self._cancelled.extend(cancelled)
        if work or finished or cancelled:
            self._wake.set()
        return True

    def share_local(self, local: LocalSignals) -> None:
        """Deliver what arrives on this link to `local` (shared by a node's links)."""
        self.local = local

    # --- for subclasses --------------------------------------------------------------------
    async def _connect(self) -> None:
        raise NotImplementedError

    async def _disconnect(self) -> None:
        raise NotImplementedError

    async def _publish(self, payload: str) -> None:
        raise NotImplementedError

    async def _listen(self) -> None:
        """Deliver arriving payloads with `received` until the connection fails."""
        raise NotImplementedError

    def received(self, payload: str) -> None:
        """Deliver one payload from the channel to local listeners (not our own)."""
        try:
            message = json.loads(payload)
        except ValueError:
            message = None
        if not isinstance(message, dict) or not all(
            isinstance(message.get(k, []), list) and all(isinstance(i, str) for i in message[k])
            for k in ("f", "c")
            if k in message
        ):
            log.warning("ignoring a malformed signal on %s: %.80r", self.channel, payload)
            return
        if message.get("n") == self.node:
            return
        if message.get("w"):
            self.local.work_submitted(())
        if ids := message.get("f"):
            self.local.tasks_finished(list(ids))
        if ids := message.get("c"):
            self.local.cancel_requested(list(ids))

    # --- the link ---------------------------------------------------------------------------
    async def _keep_connected(self) -> None:
        failures = 0
        while True:
            try:
                await self._connect()
                self.connected.set()
                failures = 0
                log.info("signals connected over %s", self.channel)
                await asyncio.gather(self._listen(), self._send_loop())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                failures += 1
                log.warning("signals link down (%s); polling the store, retry in %.1fs", exc, delay)
                with contextlib.suppress(Exception):
                    await self._disconnect()
                await asyncio.sleep(delay)

    async def _send_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            for payload in self._take_payloads():
                await self._publish(payload)

    def _take_payloads(self) -> list[str]:
        work, finished, cancelled = self._work, self._finished, self._cancelled
        self._work, self._finished, self._cancelled = False, [], []
        payloads = []
        while work or finished or cancelled:
            message: dict[str, object] = {"n": self.node}
            if work:
                message["w"] = 1
                work = False
            if finished:
                message["f"], finished = (
                    finished[:MAX_IDS_PER_MESSAGE],
                    finished[MAX_IDS_PER_MESSAGE:],
                )
            if cancelled:
                message["c"], cancelled = (
                    cancelled[:MAX_IDS_PER_MESSAGE],
                    cancelled[MAX_IDS_PER_MESSAGE:],
                )
            payloads.append(json.dumps(message, separators=(",", ":")))
        return payloads
