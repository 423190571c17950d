"""Wrapping a LangGraph graph (https://github.com/langchain-ai/langgraph) as a Python agent.

LangGraph is optional and never a dependency of swarmstack: it is imported when the first task
runs. Install it in the worker image (`pip install langgraph`) and point the spec at
`examples.frameworks.langgraph_agent:run`. The graph is compiled once per process; `run` is
async, so it runs on the worker's event loop through `ainvoke`.
"""

from __future__ import annotations

import functools
from typing import Any, TypedDict


class State(TypedDict):
    """The graph's state: the text in, the answer out."""

    text: str
    answer: str


def _draft(state: State) -> dict[str, str]:
    """One node; a real graph would call a model or tools here."""
    return {"answer": f"draft about {state['text'][:60]}"}


@functools.cache
def _graph() -> Any:
    try:
        from langgraph.graph import END, START, StateGraph  # type: ignore[import-not-found]
    except ImportError as exc:
        raise RuntimeError(
            "this example needs the optional `langgraph` package: pip install langgraph"
        ) from exc
    builder = StateGraph(State)
    builder.add_node("draft", _draft)
    builder.add_edge(START, "draft")
    builder.add_edge("draft", END)
    return builder.compile()


async def run(task: Any) -> dict[str, Any]:
    """Agent entrypoint: run the compiled graph on the task; its final state is the output."""
    text = task.get("text", "") if isinstance(task, dict) else str(task)
    state = await _graph().ainvoke({"text": text, "answer": ""})
    return dict(state)
