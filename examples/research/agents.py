"""Python agents and LLM tools of the research swarm.

The tools search a small built-in library of notes, so the example runs offline; swap
`search_notes` for a real search API in your own swarm.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

NOTES = [
    {"id": "n1", "topic": "bees", "text": "Bees share food sources with a waggle dance."},
    {"id": "n2", "topic": "bees", "text": "A colony keeps its brood near 35 degrees Celsius."},
    {"id": "n3", "topic": "solar", "text": "Panel output falls about 0.4% per degree of heat."},
    {"id": "n4", "topic": "solar", "text": "Bifacial panels also use light from the ground."},
    {"id": "n5", "topic": "rivers", "text": "Meanders move as outer banks erode and inner fill."},
]
_WORD = re.compile(r"[a-z]+")


def search_notes(query: str, limit: int = 3) -> list[dict[str, str]]:
    """Search the research notes.

    Args:
        query: words to look for
        limit: most notes to return
    """
    words = set(_WORD.findall(query.lower()))
    scored = [
        (len(words & set(_WORD.findall(f"{n['topic']} {n['text']}".lower()))), n) for n in NOTES
    ]
    return [note for score, note in sorted(scored, key=lambda s: -s[0]) if score][:limit]


def word_count(text: str) -> int:
    """Count the words of a text.

    Args:
        text: the text to count
    """
    return len(text.split())


def topic_of(task: Any) -> str:
    """The topic of a task: `{"topic": ...}` or plain text."""
    return str(task.get("topic", "")) if isinstance(task, dict) else str(task)


def gather(task: Any) -> dict[str, Any]:
    """Collect the notes on the task's topic (a plain Python step of the graph)."""
    topic = topic_of(task)
    return {"topic": topic, "notes": [n["text"] for n in search_notes(topic, limit=5)]}


class Review(BaseModel):
    """What the reviewer returns: a pydantic model becomes JSON in the task result."""

    words: int
    ok: bool
    draft: str


def review(draft: Any) -> Review:
    """Check a draft's length; the output is a pydantic model."""
    text = draft if isinstance(draft, str) else str(draft)
    words = word_count(text)
    return Review(words=words, ok=0 < words <= 400, draft=text)


def combine(results: dict[str, Any]) -> dict[str, Any]:
    """Fan-in of the graph: the facts and the reviewed draft side by side."""
    return {"facts": results.get("facts"), "report": results.get("review")}


def needs_review(data: Any) -> str | None:
    """Router rule: send text to the reviewer once, stop when it is reviewed."""
    return None if isinstance(data, dict) and "ok" in data else "reviewer"
