"""Fast signals beside the durable queue: wake-ups, finished tasks and cancellations.

Signals are hints only: losing one delays work (polling catches up) but never loses a task.
Public API: `Signals` (protocol) and `LocalSignals` (one process, e.g. `swarmstack up`).
"""

from swarmstack.queue.signals import LocalSignals, Signals

__all__ = ["LocalSignals", "Signals"]
