"""How the worker runs a swarm's tasks (the seed's [agents] section) and what it may use."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

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
    resume_steps: bool = Field(
        False,
        description="A retried task (after a crash or a temporary error) takes the outputs of "
        "the steps its earlier attempts finished from their `step_finished` events instead of "
        "running them again; needs step outputs that are JSON and steps named once per task.",
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


def _empty_is_none(value: object) -> object:
    """`pause: {}` (Argo's spelling) means the same as `pause: null`: wait for promote."""
    return None if value == {} else value


def _new_strategy_name(value: object) -> object:
    """The old spellings `bluegreen` and `blue_green` mean `blue-green`."""
    return "blue-green" if value in ("bluegreen", "blue_green") else value


def _also_empty_object(schema: dict[str, Any]) -> None:
    schema["anyOf"].append({"type": "object", "maxProperties": 0})


class RolloutStep(SpecModel):
    """One canary step: a traffic weight held for a pause, or until `promote`."""

    weight: int = Field(ge=0, le=100, description="Percent of new tasks sent to the new version.")
    pause: Annotated[Duration | None, BeforeValidator(_empty_is_none)] = Field(
        0.0,
        json_schema_extra=_also_empty_object,
        description="How long to hold and analyse this weight before the next step; "
        "0 (the default) moves on at once, `{}` or null waits for `swarmstack promote`.",
    )


class Analysis(SpecModel):
    """Gates a rollout on measured outcomes of the new version (null: threshold not checked)."""

    interval: Duration = Field(30.0, gt=0, description="How often to analyse.")
    min_samples: int = Field(
        20,
        ge=1,
        description="Finished tasks of the new version needed in a window for a verdict; "
        "fewer: the analysis is inconclusive and the rollout waits (never a pass).",
    )
    max_error_rate: float | None = Field(
        0.05, ge=0, le=1, description="Highest failed fraction of the new version's tasks."
    )
    max_p95_latency: Annotated[Duration, Field(gt=0)] | None = Field(
        10.0, description="Highest p95 task latency of the new version."
    )
    max_cost_per_task: float | None = Field(
        None, ge=0, description="Highest mean cost per task in USD, from recorded usage."
    )
    max_tokens_per_task: float | None = Field(
        None, ge=0, description="Highest mean tokens (input + output) per task."
    )
    max_budget_exceeded_rate: float | None = Field(
        None, ge=0, le=1, description="Highest fraction of tasks that ran out of budget."
    )
    max_cost_ratio: float | None = Field(
        None,
        gt=0,
        description="Highest cost per task as a multiple of the stable version's over the "
        "same window (1.5 = 50 % dearer).",
    )
    max_tokens_ratio: float | None = Field(
        None,
        gt=0,
        description="Highest tokens per task as a multiple of the stable version's over the "
        "same window.",
    )
    max_latency_ratio: float | None = Field(
        None,
        gt=0,
        description="Highest p95 latency as a multiple of the stable version's over the "
        "same window.",
    )
    failure_limit: int = Field(
        0,
        ge=0,
        description="Failed analyses tolerated during one rollout; one more aborts it.",
    )


class BlueGreen(SpecModel):
    """How a blue-green rollout switches from the old version to the previewed new one."""

    auto_promote: bool = Field(
        True,
        description="Promote the preview after a passing analysis; false: wait for "
        "`swarmstack promote`.",
    )
    scale_down_delay: Duration = Field(
        30.0,
        ge=0,
        description="How long the old version stays loaded after the switch, for a fast rollback.",
    )


class Rollout(SpecModel):
    """How a new version of the swarm replaces the old one."""

    strategy: Annotated[
        Literal["all-at-once", "canary", "blue-green"], BeforeValidator(_new_strategy_name)
    ] = Field(
        "canary",
        description="`canary` walks the steps, `blue-green` previews the new version at 0 % "
        "then switches, `all-at-once` switches at once (old spelling `bluegreen` accepted).",
    )
    steps: list[RolloutStep] = Field(
        default_factory=lambda: [
            RolloutStep(weight=10, pause=60.0),
            RolloutStep(weight=50, pause=60.0),
        ],
        description="Canary steps, walked in order; 100 percent follows the last one.",
    )
    analysis: Analysis = Field(default_factory=Analysis, description="Promotion gate.")
    blue_green: BlueGreen = Field(
        default_factory=BlueGreen, description="Blue-green settings (strategy blue-green)."
    )

    @field_validator("steps")
    @classmethod
    def _weights_rise(cls, steps: list[RolloutStep]) -> list[RolloutStep]:
        for i in range(1, len(steps)):
            if steps[i].weight < steps[i - 1].weight:
                raise ValueError(
                    f"steps[{i}] weight {steps[i].weight} is below steps[{i - 1}] weight "
                    f"{steps[i - 1].weight}: weights must not decrease across steps"
                )
        return steps
