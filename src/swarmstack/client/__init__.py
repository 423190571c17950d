"""HTTP client of the manager's task API (used by the CLI, benchmarks and users' scripts).

Public API: `SwarmClient`.
"""

from swarmstack.client.http import SwarmClient

__all__ = ["SwarmClient"]
