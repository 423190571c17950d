"""`kind: llm` agents: OpenAI-compatible chat models with tools, streaming and accounting.

Public API: `LLMCallable` (the agent), `ChatClient` (one per worker, over a shared
`agents.http.HttpPool`), `Backoff`, `LLMMetrics`, `make_tool`. Modules: `client` (HTTP, retries),
`stream` (assembling answers), `tools`, `accounting` (tokens, cost, budgets, metrics, token
events), `pricing` (default price table).
"""

from swarmstack.agents.llm.accounting import LLMMetrics
from swarmstack.agents.llm.agent import LLMCallable
from swarmstack.agents.llm.client import Backoff, ChatClient, ChatRequest
from swarmstack.agents.llm.tools import Tool, make_tool

__all__ = ["Backoff", "ChatClient", "ChatRequest", "LLMCallable", "LLMMetrics", "Tool", "make_tool"]
