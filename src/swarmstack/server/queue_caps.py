"""The cap on a principal's queued tasks. The submit routes call `check_queue_cap`.

A principal's cap is its key's `max_queued`, else its role's `rate_limits.<role>_max_queued`
(0: no cap). Counting a principal's queued tasks is one indexed read, but one per submit would
cost a round trip to the store on a path that otherwise batches its writes (half the submit
rate on SQLite, docs/benchmarks.md (h)). So each manager remembers, per principal, the count it
last read and the submits it let through since, and reads the store again only when that
estimate comes within a tenth of the cap, or after `refresh_s`. The estimate errs high (tasks
that left the queue since are still counted), so near the cap the store decides.

The count is read before the new task is stored: a principal can pass its cap by the submits
it has in flight at once, plus what other managers let through since this one last read the
store, which needs more than a tenth of the cap within `refresh_s` (the principal's rate limit
keeps it well below that for the defaults: 100/s against 1,000). Making it exact would take a
per-principal lock across managers around every submit.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request

from swarmstack.errors import RateLimited
from swarmstack.security.roles import Principal
from swarmstack.server.limits import note

if TYPE_CHECKING:
    from swarmstack.server.state import Manager

RETRY_S = 2.0
Count = Callable[[str, int], Awaitable[int]]  # (owner, at_most) -> queued tasks


@dataclass
class _Seen:
    queued: int  # as read from the store at `at`
    at: float
    added: int = 0  # submits let through here since


class QueueCaps:
    """Estimates of principals' queued tasks, read from the store when they matter."""

    def __init__(
        self,
        count: Count,
        refresh_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        max_principals: int = 10_000,
    ) -> None:
        self._count = count
        self.refresh_s = refresh_s
        self._clock = clock
        self._max = max_principals
        self._seen: dict[str, _Seen] = {}

    async def admit(self, owner: str, cap: int, count: int = 1) -> int:
        """How many tasks `owner` has queued before this submit of `count` tasks; when they
        fit under `cap`, they are counted as let through."""
        now = self._clock()
        seen = self._seen.get(owner)
        if seen is None or now - seen.at >= self.refresh_s or _near(seen, cap, count):
            seen = _Seen(await self._count(owner, cap), now)
            self._remember(owner, seen)
        queued = seen.queued + seen.added
        if queued + count <= cap:
            seen.added += count
        return queued

    def _remember(self, owner: str, seen: _Seen) -> None:
        self._seen.pop(owner, None)
        self._seen[owner] = seen  # newest last; the oldest go first past max_principals
        while len(self._seen) > self._max:
            del self._seen[next(iter(self._seen))]


def _near(seen: _Seen, cap: int, count: int) -> bool:
    return seen.queued + seen.added + count > cap - cap // 10


async def check_queue_cap(
    manager: Manager, who: Principal, request: Request | None = None, count: int = 1
) -> None:
    """RateLimited (429) when `count` more tasks would take `who` past its cap of queued
    tasks; notes the `"queued"` policy for the response's RateLimit headers."""
    limits = manager.settings.rate_limits
    cap = who.max_queued if who.max_queued is not None else limits.for_role(who.role).max_queued
    if not limits.enabled or cap <= 0:
        return
    queued = await manager.queue_caps.admit(who.id, cap, count)
    if request is not None:
        note(request.scope, f'"queued";q={cap}', f'"queued";r={max(0, cap - queued)}')
    if queued + count > cap:
        manager.metrics.ratelimit_rejected.labels("queued").inc()
        more = f"; {count} more would pass it" if count > 1 and queued < cap else ""
        raise RateLimited(
            f"{who.label} has {min(queued, cap)} queued tasks of its cap of {cap}{more}",
            fix="wait for queued tasks to run, or cancel some; an admin can raise the key's "
            "max_queued or rate_limits.<role>_max_queued (0: no cap)",
            delay_s=RETRY_S,
            limit="queued",
            max_queued=cap,
        )
