"""Redis first, PostgreSQL LISTEN/NOTIFY second: a node on a PostgreSQL store with Redis.

Both links listen all the time and deliver to one set of local listeners. Each signal is
published once, on Redis while it is connected, else on PostgreSQL; so with Redis down, nodes
still wake each other at once (not only at their next poll), and with Redis back it is used
again without a restart. With both links down, signals stay local and nodes poll the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from swarmstack.queue.remote import RemoteSignals
from swarmstack.queue.signals import Listener, LocalSignals


class DualSignals:
    """The Signals protocol over a preferred link with a fallback link."""

    def __init__(self, preferred: RemoteSignals, fallback: RemoteSignals) -> None:
        self.local = LocalSignals()
        self.links = (preferred, fallback)
        for link in self.links:
            link.share_local(self.local)

    def _send(
        self, *, work: bool = False, finished: Sequence[str] = (), cancelled: Sequence[str] = ()
    ) -> None:
        for link in self.links:
            if link.send(work=work, finished=finished, cancelled=cancelled):
                return

    def work_submitted(self, swarms: Iterable[str]) -> None:
        """Wake local claimers now and the other nodes' soon."""
        self.local.work_submitted(swarms)
        self._send(work=True)

    async def wait_for_work(self, timeout_s: float) -> None:
        """Return on a wake-up from any node (on either link), or after `timeout_s`."""
        await self.local.wait_for_work(timeout_s)

    def tasks_finished(self, task_ids: list[str]) -> None:
        """Tell local listeners now and other nodes soon."""
        self.local.tasks_finished(task_ids)
        self._send(finished=task_ids)

    def on_finished(self, listener: Listener) -> None:
        """Subscribe to finished tasks of every node."""
        self.local.on_finished(listener)

    def cancel_requested(self, task_ids: list[str]) -> None:
        """Tell local listeners now and other nodes soon."""
        self.local.cancel_requested(task_ids)
        self._send(cancelled=task_ids)

    def on_cancel(self, listener: Listener) -> None:
        """Subscribe to cancellations from every node."""
        self.local.on_cancel(listener)

    async def start(self) -> None:
        """Start connecting both links in the background."""
        for link in self.links:
            await link.start()

    async def aclose(self) -> None:
        """Stop and disconnect both links."""
        await asyncio.gather(*(link.aclose() for link in self.links))
