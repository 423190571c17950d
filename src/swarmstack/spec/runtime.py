"""How the worker runs a swarm's tasks (the seed's [agents] section) and what it may use."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from swarmstack.spec.agents import Budget
from swarmstack.spec.base import SpecModel
from swarmstack.spec.durations import Duration

Priority = Literal["low", "normal", "high"]


class Runtime(SpecModel):
    """Concurrency, timeouts and retries; keys mirror the seed's `[agents]` section."""

    max_concurrent: int = Field(100, gt=0, le=100_000, description="Tasks in flight per worker.")
    timeout: Duration = Field(30.0, gt=0, description="Timeout of one attempt of a task.")
    retry_attempts: int = Field(3, ge=0, le=100, description="Retries after the first attempt.")
    retry_delay: Duration = Field(5.0, ge=0, description="Delay before the first retry.")
    retry_backoff: float = Field(2.0, ge=1, le=10, description="Delay multiplier per retry.")
    retry_max_delay: Duration = Field(300.0, ge=0, description="Cap on one retry delay.")
    retry_jitter: float = Field(0.2, ge=0, le=1, description="Random +- fraction of a delay.")
    lease: Duration = Field(30.0, ge=1, description="Lease on a claimed task; heartbeats renew it.")
    default_priority: Priority = Field("normal", description="Priority when a task names none.")
    budget: Budget | None = Field(None, description="Default per-task budget.")
    sync_pool_size: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="Threads for this swarm's sync Python agents and tools, its own pool so a "
        "stuck call never starves another swarm; default: settings agents.sync_pool_size (16).",
    )


class Sessions(SpecModel):
    """What a session is: tasks that share a conversation, one at a time."""

    on_conflict: Literal["reject", "enqueue", "interrupt"] = Field(
        "enqueue",
        description="A task arrives while its session runs another: `reject` (409), "
        "`enqueue` (run after it) or `interrupt` (cancel it).",
    )
    max_messages: int = Field(50, ge=0, le=10_000, description="Messages of history kept.")
    max_tokens: int | None = Field(
        None, gt=0, description="Most history tokens handed to LLM agents (about 4 chars each)."
    )


class ResourceList(SpecModel):
    """Kubernetes resource quantities."""

    cpu: str = Field(pattern=r"^\d+(\.\d+)?m?$", description="CPU, e.g. 500m or 1.")
    memory: str = Field(pattern=r"^\d+(Ki|Mi|Gi|Ti|K|M|G|T)?$", description="Memory, e.g. 1Gi.")


class Resources(SpecModel):
    """Requests and limits of a worker pod."""

    requests: ResourceList = Field(
        ResourceList(cpu="500m", memory="1Gi"), description="Guaranteed resources."
    )
    limits: ResourceList = Field(ResourceList(cpu="1", memory="2Gi"), description="Hard caps.")


class Scaling(SpecModel):
    """How the worker pool scales: on queue depth (KEDA) or CPU/memory (HPA)."""

    min_replicas: int = Field(1, ge=0, le=1000, description="Fewest worker replicas.")
    max_replicas: int = Field(10, ge=1, le=1000, description="Most worker replicas.")
    metric: Literal["queue_depth", "cpu", "memory"] = Field(
        "queue_depth", description="What drives scaling."
    )
    target_queue_depth: int = Field(20, gt=0, description="Queued tasks per replica.")
    target_utilization: int = Field(70, gt=0, le=100, description="Target CPU/memory percent.")

    @model_validator(mode="after")
    def _range(self) -> Scaling:
        if self.max_replicas < self.min_replicas:
            raise ValueError("max_replicas must be >= min_replicas")
        return self


class RolloutStep(SpecModel):
    """One canary step: a traffic weight held for a pause."""

    weight: int = Field(ge=0, le=100, description="Percent of new tasks sent to the new version.")
    pause: Duration = Field(60.0, ge=0, description="How long to hold and analyse this weight.")


class Analysis(SpecModel):
    """Gates a rollout on measured outcomes of the new version."""

    interval: Duration = Field(30.0, gt=0, description="How often to analyse.")
    max_error_rate: float = Field(0.05, ge=0, le=1, description="Highest failed fraction.")
    max_p95_latency: Duration = Field(10.0, gt=0, description="Highest p95 task latency.")
    min_samples: int = Field(20, ge=1, description="Finished tasks needed for a verdict.")


class Rollout(SpecModel):
    """How a new version of the swarm replaces the old one."""

    strategy: Literal["canary", "bluegreen"] = Field("canary", description="Rollout strategy.")
    steps: list[RolloutStep] = Field(
        default_factory=lambda: [RolloutStep(weight=10), RolloutStep(weight=50)],
        description="Canary steps; 100 percent follows the last one.",
    )
    analysis: Analysis = Field(default_factory=Analysis, description="Promotion gate.")
