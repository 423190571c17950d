"""Agent definitions in a swarm spec: Python callables and OpenAI-compatible LLM agents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from swarmstack.spec.base import SpecModel
from swarmstack.spec.durations import Duration

ENTRYPOINT = r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$"
NAME = r"^[a-z][a-z0-9_-]{0,62}$"


class Budget(SpecModel):
    """Limits that stop a runaway task with status `budget_exceeded`."""

    max_tokens: int | None = Field(None, gt=0, description="Most prompt+completion tokens.")
    max_cost_usd: float | None = Field(None, gt=0, description="Most spend in US dollars.")
    max_steps: int | None = Field(None, gt=0, description="Most agent steps and LLM calls.")
    max_wall_time: Duration | None = Field(None, gt=0, description="Most wall time, e.g. 2m.")


class PythonAgent(SpecModel):
    """An agent that is a Python callable: `module:function`, sync or async."""

    kind: Literal["python"] = Field(description="`python`: a callable from an importable module.")
    entrypoint: str = Field(
        pattern=ENTRYPOINT,
        description="`package.module:function`; it takes the step input (and optionally `ctx`).",
    )
    description: str = Field("", description="What the agent does, for people and routers.")
    timeout: Duration | None = Field(None, gt=0, description="Per-call timeout; default: none.")
    budget: Budget | None = Field(None, description="Limits for this agent's share of a task.")
    isolation: Literal["thread", "process"] = Field(
        "thread",
        description="`thread`: sync code runs in the swarm's thread pool and can only stop "
        "cooperatively; `process`: each call runs in a child process that is killed on cancel "
        "or timeout (the function must be importable by name, its input and output picklable).",
    )
    processes: int = Field(
        2, ge=1, le=64, description="Child processes kept for `isolation: process` calls."
    )


class ModelPrice(SpecModel):
    """What one million tokens cost for a model."""

    prompt_per_mtok: float = Field(ge=0, description="USD per million prompt tokens.")
    completion_per_mtok: float = Field(ge=0, description="USD per million completion tokens.")


class LLMAgent(SpecModel):
    """An agent that calls an OpenAI-compatible Chat Completions endpoint."""

    kind: Literal["llm"] = Field(description="`llm`: an OpenAI-compatible chat model.")
    model: str = Field(min_length=1, description="Model name sent to the endpoint.")
    base_url: str = Field(
        "https://api.openai.com/v1", description="Endpoint base URL, e.g. ${OPENAI_BASE_URL}."
    )
    api_key: str | None = Field(
        None, description="API key reference, e.g. `${secret:OPENAI_API_KEY}`; never a literal."
    )
    system_prompt: str = Field("", description="System message sent before the task input.")
    description: str = Field("", description="What the agent does, for people and routers.")
    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int | None = Field(None, gt=0, description="Most completion tokens per call.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers.")
    tools: list[str] = Field(
        default_factory=list,
        description="Tools as `module:function`; schemas come from type hints and docstrings.",
    )
    max_steps: int = Field(8, gt=0, le=100, description="Most tool-calling rounds per step.")
    stream: bool = Field(True, description="Stream tokens as task events.")
    timeout: Duration = Field(60.0, gt=0, description="Timeout of one LLM call.")
    price: ModelPrice | None = Field(None, description="Price override for cost accounting.")
    budget: Budget | None = Field(None, description="Limits for this agent's share of a task.")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Options of another framework's agent kept by an import (e.g. Swarms' "
        "`retry_attempts`); swarmstack does not use them.",
    )


class SwarmsAgent(SpecModel):
    """An agent of the Swarms framework: a `swarms.Agent` built from its own keyword arguments
    in the worker for each call (extra `swarmstack[swarms]`; docs/swarms.md)."""

    kind: Literal["swarms"] = Field(description="`swarms`: a Swarms `Agent`.")
    config: dict[str, Any] = Field(
        min_length=1,
        description="Keyword arguments of `swarms.Agent` (agent_name, system_prompt, "
        "model_name, max_loops, temperature, max_tokens...).",
    )
    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint of its model (`llm_base_url`)."
    )
    api_key: str | None = Field(
        None, description="API key reference (`llm_api_key`), e.g. `${secret:OPENAI_API_KEY}`."
    )
    description: str = Field("", description="What the agent does, for people and routers.")
    timeout: Duration | None = Field(
        None, gt=0, description="Per-call timeout; a late call is abandoned (its thread runs on)."
    )


Agent = Annotated[PythonAgent | LLMAgent | SwarmsAgent, Field(discriminator="kind")]
