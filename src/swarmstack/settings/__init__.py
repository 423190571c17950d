"""Runtime settings of managers and workers (not the swarm spec).

Public API: `Settings`, `load_settings`, `load_layers` (with sources and notices),
`setting_keys`.
"""

from swarmstack.settings.models import Settings
from swarmstack.settings.sources import LoadedSettings, load_layers, load_settings, setting_keys

__all__ = ["LoadedSettings", "Settings", "load_layers", "load_settings", "setting_keys"]
