"""The manager: HTTP task API, auth, health and metrics, and the leader's sweeper.

Public API: `create_app`, `Manager`.
"""

from swarmstack.server.app import create_app
from swarmstack.server.state import Manager

__all__ = ["Manager", "create_app"]
