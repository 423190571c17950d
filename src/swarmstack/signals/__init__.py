"""Fast signals beside the durable queue: wake-ups, finished tasks and cancellations.

Signals are hints only: losing one delays work (polling catches up) but never loses a task.
Public API: `Signals` (protocol), `LocalSignals` (one process), `PgSignals` (LISTEN/NOTIFY),
`RedisSignals` (pub/sub), `DualSignals` (Redis, else PostgreSQL), `ResultCache`, and
`make_signals` / `make_cache` (from settings).
"""

from swarmstack.signals.dual_signals import DualSignals
from swarmstack.signals.factory import make_cache, make_signals
from swarmstack.signals.local import LocalSignals, Signals
from swarmstack.signals.pg_signals import PgSignals
from swarmstack.signals.redis_signals import RedisSignals, ResultCache

__all__ = [
    "DualSignals",
    "LocalSignals",
    "PgSignals",
    "RedisSignals",
    "ResultCache",
    "Signals",
    "make_cache",
    "make_signals",
]
