"""Runtime settings of managers and workers (not the swarm spec).

Public API: `Settings`, `load_settings`.
"""

from swarmstack.settings.models import Settings, load_settings

__all__ = ["Settings", "load_settings"]
