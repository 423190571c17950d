"""The base every spec model shares: unknown keys are errors, every field is described."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """A frozen part of a swarm spec; unknown keys are rejected with the list of known ones."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
