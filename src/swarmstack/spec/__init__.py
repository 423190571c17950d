"""The swarm spec: pydantic models, `${VAR}` interpolation and a loader with file:line errors.

Public API: `SwarmSpec`, `load_spec`, `parse_spec`, `spec_schema`.
"""

from typing import Any

from swarmstack.spec.loader import load_spec, parse_spec
from swarmstack.spec.swarm import SwarmSpec


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a swarm spec."""
    return SwarmSpec.model_json_schema(mode="validation")


__all__ = ["SwarmSpec", "load_spec", "parse_spec", "spec_schema"]
