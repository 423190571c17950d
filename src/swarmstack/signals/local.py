"""Signal channels between the manager and workers.

`LocalSignals` connects a manager and workers in one process; other backends (Redis, LISTEN/
NOTIFY) implement the same protocol across processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

Listener = Callable[[list[str]], None]


class Signals(Protocol):
    """Hints that let waiting parties act at once instead of at their next poll."""

    def work_submitted(self, swarms: Iterable[str]) -> None:
        """New tasks were committed for these swarms."""
        ...

    async def wait_for_work(self, timeout_s: float) -> None:
        """Return when work may be available or after `timeout_s`."""
        ...

    def tasks_finished(self, task_ids: list[str]) -> None:
        """These tasks have an outcome."""
        ...

    def on_finished(self, listener: Listener) -> None:
        """Call `listener` with the ids of tasks that finished."""
        ...

    def cancel_requested(self, task_ids: list[str]) -> None:
        """These running tasks were cancelled; their workers should stop them."""
        ...

    def on_cancel(self, listener: Listener) -> None:
        """Call `listener` with the ids of tasks to stop."""
        ...

    async def start(self) -> None:
        """Connect (backends that need it); signals sent before this are kept local."""
        ...

    async def aclose(self) -> None:
        """Disconnect."""
        ...


class LocalSignals:
    """In-process signals: an event for work and listener lists for the rest."""

    def __init__(self) -> None:
        self._work = asyncio.Event()
        self._finished: list[Listener] = []
        self._cancel: list[Listener] = []

    def work_submitted(self, swarms: Iterable[str]) -> None:
        """Wake every waiting claimer."""
        self._work.set()

    async def wait_for_work(self, timeout_s: float) -> None:
        """Wait for a wake-up or the timeout, then re-arm."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._work.wait()
        except TimeoutError:
            pass
        self._work.clear()

    def tasks_finished(self, task_ids: list[str]) -> None:
        """Tell finished-listeners."""
        for listener in self._finished:
            listener(task_ids)

    def on_finished(self, listener: Listener) -> None:
        """Subscribe to finished tasks."""
        self._finished.append(listener)

    def cancel_requested(self, task_ids: list[str]) -> None:
        """Tell cancel-listeners."""
        for listener in self._cancel:
            listener(task_ids)

    def on_cancel(self, listener: Listener) -> None:
        """Subscribe to cancellations."""
        self._cancel.append(listener)

    async def start(self) -> None:
        """Nothing to connect."""

    async def aclose(self) -> None:
        """Nothing to close."""


class Forwarding:
    """Signals delivered locally at once and handed to `_forward` for the other nodes.

    The shared half of `RemoteSignals` (one link) and `DualSignals` (two links): subclasses set
    `self.local` and implement `_forward`, `start` and `aclose`.
    """

    local: LocalSignals

    def _forward(
        self, *, work: bool = False, finished: Sequence[str] = (), cancelled: Sequence[str] = ()
    ) -> None:
        raise NotImplementedError

    def work_submitted(self, swarms: Iterable[str]) -> None:
        """Wake local claimers now and the other nodes' soon."""
        self.local.work_submitted(swarms)
        self._forward(work=True)

    async def wait_for_work(self, timeout_s: float) -> None:
        """Return on a wake-up from any node, or after `timeout_s`."""
        await self.local.wait_for_work(timeout_s)

    def tasks_finished(self, task_ids: list[str]) -> None:
        """Tell local listeners now and other nodes soon."""
        self.local.tasks_finished(task_ids)
        self._forward(finished=task_ids)

    def on_finished(self, listener: Listener) -> None:
        """Subscribe to finished tasks of every node."""
        self.local.on_finished(listener)

    def cancel_requested(self, task_ids: list[str]) -> None:
        """Tell local listeners now and other nodes soon."""
        self.local.cancel_requested(task_ids)
        self._forward(cancelled=task_ids)

    def on_cancel(self, listener: Listener) -> None:
        """Subscribe to cancellations from every node."""
        self.local.on_cancel(listener)
