"""The worker: claims tasks in batches, runs them (thousands in flight), heartbeats leases,
records outcomes in batches, and drains on SIGTERM.

Public API: `Worker`.
"""

from swarmstack.worker.runner import Worker

__all__ = ["Worker"]
