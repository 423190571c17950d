"""Wrapping a plain class as a Python agent: no framework, runs anywhere.

An agent entrypoint may name any callable: a function, or an object with `__call__` (here a
module-level instance, built once per worker process and shared by its tasks, so keep it
free of per-task state). It may be sync (run in the worker's thread pool) or async, may take
`ctx` to emit events or read secrets, and may return a str, a dict or a pydantic model.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel


class Summary(BaseModel):
    """A pydantic result: stored as JSON."""

    topic: str
    keywords: list[str]
    sentences: int


class KeywordAgent:
    """An existing class with its own method names, as found in many codebases."""

    def __init__(self, top: int = 3) -> None:
        self.top = top

    def analyse(self, text: str) -> Summary:
        """The class's own API."""
        words = [w.strip(".,;:!?").lower() for w in text.split()]
        counts = Counter(w for w in words if len(w) > 4)
        return Summary(
            topic=words[0] if words else "",
            sentences=text.count(".") or 1,
            keywords=[w for w, _ in counts.most_common(self.top)],
        )

    def __call__(self, task: Any, ctx: Any = None) -> Summary:
        """The agent calling convention: the step input, and `ctx` when wanted."""
        text = task.get("text", "") if isinstance(task, dict) else str(task)
        if ctx is not None:
            ctx.emit("progress", {"agent": "keywords", "chars": len(text)})
        return self.analyse(text)


keywords = KeywordAgent(top=3)


async def headline(summary: dict[str, Any]) -> str:
    """An async function agent: the next step receives the previous step's JSON output."""
    return f"{summary['topic'].title()}: {', '.join(summary['keywords'])}"
