"""A swarm's own retention: how long its finished tasks, keys and full events are kept.

Every field is optional; an unset one takes the `[retention]` setting of the same name.
"""

from __future__ import annotations

from pydantic import Field

from swarmstack.spec.base import SpecModel
from swarmstack.spec.durations import Duration


class Retention(SpecModel):
    """Overrides of the `[retention]` settings for this swarm's tasks."""

    succeeded: Duration | None = Field(
        None, gt=0, description="Keep succeeded tasks this long after they finish."
    )
    failed: Duration | None = Field(
        None,
        gt=0,
        description="Keep failed tasks (the dead letter, with every attempt's error) this long.",
    )
    other: Duration | None = Field(
        None,
        gt=0,
        description="Keep cancelled, timed_out and budget_exceeded tasks this long.",
    )
    idempotency: Duration | None = Field(
        None,
        gt=0,
        description="Honour an Idempotency-Key this long after submit; then it may be reused.",
    )
    events: Duration | None = Field(
        None,
        gt=0,
        description="Keep a finished task's step events in full this long; then they are "
        "compacted to one `compacted` summary event (lifecycle events stay).",
    )
