"""A swarm version ready to run tasks: its agents built once, its flow, its budget.

The worker builds one `SwarmRuntime` per swarm version and passes what it shares between them:
one `HttpPool` for LLM calls (keep-alive connections) and the metrics object. Each runtime
has its own bounded thread pool for sync code (`spec.runtime.sync_pool_size`) and a process pool
per `isolation: process` agent; `aclose()` releases them (and an HTTP client it created).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Protocol

from swarmstack.agents.context import TaskContext
from swarmstack.agents.flow_env import FlowEnv
from swarmstack.agents.flows import run_flow
from swarmstack.agents.http import HttpPool
from swarmstack.agents.llm import ChatClient, LLMCallable, LLMMetrics
from swarmstack.agents.python import PythonCallable, import_entrypoint, isolated
from swarmstack.agents.steps import AgentCall
from swarmstack.agents.swarms_agent import SwarmsCallable
from swarmstack.agents.sync_pool import DEFAULT_SYNC_POOL_SIZE, PoolMetrics, SyncPool
from swarmstack.spec.agents import LLMAgent, PythonAgent, SwarmsAgent
from swarmstack.spec.flows import RouterFlow
from swarmstack.spec.swarm import SwarmSpec


class AgentMetrics(LLMMetrics, PoolMetrics, Protocol):
    """Every metric agents update (satisfied by `swarmstack.metrics.Metrics`)."""


class SwarmRuntime:
    """Built agents of one swarm spec; `run` executes one task's input."""

    def __init__(
        self,
        spec: SwarmSpec,
        *,
        http_client: HttpPool | None = None,
        metrics: AgentMetrics | None = None,
    ) -> None:
        self.spec = spec
        size = spec.runtime.sync_pool_size or DEFAULT_SYNC_POOL_SIZE
        self.pool = SyncPool(spec.name, size, metrics)
        self._owns_http = http_client is None and _has_llm(spec)
        self.http = http_client or (
            HttpPool(spec.runtime.max_concurrent) if self._owns_http else None
        )
        self.chat = ChatClient(self.http) if self.http is not None else None
        self.agents: dict[str, AgentCall] = {
            name: self._build(name, agent, metrics) for name, agent in spec.agents.items()
        }
        self.timeouts: dict[str, float | None] = {
            name: _step_timeout(agent) for name, agent in spec.agents.items()
        }
        self._add_rule()
        self.env = FlowEnv(
            self.agents,
            self.timeouts,
            {n: a.description for n, a in spec.agents.items()},
            self.pool,
        )

    async def run(self, data: Any, ctx: TaskContext) -> Any:
        """Run the task input through the flow and return the final output."""
        ctx.budget = ctx.budget or self.spec.runtime.budget
        if ctx.deadline is None:  # the worker may set the task's own; else the swarm's timeout
            ctx.deadline = ctx.started + self.spec.runtime.timeout
        try:
            return await run_flow(self.spec.flow, self.env, data, ctx)
        except BaseException:  # cancelled, timed out or failed: tell threads still at it to stop
            ctx.cancel()
            raise

    def saturation(self) -> str | None:
        """Why this swarm cannot run sync code now (abandoned calls hold its threads), or None."""
        return self.pool.saturation()

    async def aclose(self) -> None:
        """Release what the agents hold: the HTTP client, when this runtime created it."""
        self.pool.shutdown()
        for agent in self.agents.values():
            if isinstance(agent, PythonCallable) and agent.processes is not None:
                await asyncio.to_thread(agent.processes.close)
        if self._owns_http and self.http is not None:
            await self.http.aclose()

    def _build(
        self, name: str, agent: PythonAgent | LLMAgent | SwarmsAgent, metrics: AgentMetrics | None
    ) -> AgentCall:
        if isinstance(agent, SwarmsAgent):
            return SwarmsCallable(name, agent)
        if isinstance(agent, LLMAgent):
            assert self.chat is not None
            return LLMCallable(name, agent, self.chat, metrics=metrics, swarm=self.spec.name)
        where = f"{self.spec.name}: agents.{name}.entrypoint"
        fn = import_entrypoint(agent.entrypoint, where)
        if agent.isolation == "process":
            return isolated(name, fn, agent.processes, f"{self.spec.name}: agents.{name}")
        return PythonCallable(name, fn)

    def _add_rule(self) -> None:
        """A router flow's `module:function` rule becomes an agent named by its entrypoint."""
        flow = self.spec.flow
        if isinstance(flow, RouterFlow) and flow.router not in self.agents:
            where = f"{self.spec.name}: flow.router"
            self.agents[flow.router] = PythonCallable(
                flow.router, import_entrypoint(flow.router, where)
            )


def _has_llm(spec: SwarmSpec) -> bool:
    return any(isinstance(agent, LLMAgent) for agent in spec.agents.values())


def _step_timeout(agent: PythonAgent | LLMAgent | SwarmsAgent) -> float | None:
    """A Python or Swarms agent's `timeout` bounds its step; an LLM agent's bounds each call
    instead."""
    return None if isinstance(agent, LLMAgent) else agent.timeout


def saturated(runtimes: Iterable[SwarmRuntime]) -> list[str]:
    """Why each of `runtimes` that cannot run sync code now cannot (for `/ready`)."""
    return [reason for rt in runtimes if (reason := rt.saturation()) is not None]
