"""Redis first, PostgreSQL LISTEN/NOTIFY second: a node on a PostgreSQL store with Redis.

Both links listen all the time and deliver to one set of local listeners. Each signal is
published once, on Redis while it is connected, else on PostgreSQL; so with Redis down, nodes
still wake each other at once (not only at their next poll), and with Redis back it is used
again without a restart. With both links down, signals stay local and nodes poll the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from swarmstack.signals.local import Forwarding, LocalSignals
from swarmstack.signals.remote import RemoteSignals


class DualSignals(Forwarding):
    """The Signals protocol over a preferred link with a fallback link."""

    def __init__(self, preferred: RemoteSignals, fallback: RemoteSignals) -> None:
        self.local = LocalSignals()
        self.links = (preferred, fallback)
        for link in self.links:
            link.share_local(self.local)

    def _forward(
        self, *, work: bool = False, finished: Sequence[str] = (), cancelled: Sequence[str] = ()
    ) -> None:
        for link in self.links:
            if link.send(work=work, finished=finished, cancelled=cancelled):
                return

    async def start(self) -> None:
        """Start connecting both links in the background."""
        for link in self.links:
            await link.start()

    async def aclose(self) -> None:
        """Stop and disconnect both links."""
        await asyncio.gather(*(link.aclose() for link in self.links))
