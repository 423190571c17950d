"""Runtime defaults from settings (the seed's config.toml [agents]) applied to swarm specs."""

from __future__ import annotations

from swarmstack.settings.models import AgentDefaults
from swarmstack.spec import SwarmSpec


def with_agent_defaults(spec: SwarmSpec, defaults: AgentDefaults) -> SwarmSpec:
    """`spec` with each runtime key it leaves unset taken from `defaults`; a key the spec sets
    always wins."""
    chosen = defaults.model_dump(exclude_none=True)
    update = {k: v for k, v in chosen.items() if k not in spec.runtime.model_fields_set}
    if not update:
        return spec
    return spec.model_copy(update={"runtime": spec.runtime.model_copy(update=update)})
