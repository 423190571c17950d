"""Agents of the digest swarm: async Python that runs on the worker's event loop."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "we",
        "you",
        "our",
        "they",
        "their",
        "not",
        "but",
        "can",
    ]
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-zA-Z][a-zA-Z'-]+")
_SLICE = 2000  # sentences scored between two yields to the event loop


async def analyse(task: Any) -> dict[str, Any]:
    """Split a document into sentences and count its words."""
    text = task.get("text", "") if isinstance(task, dict) else str(task)
    await asyncio.sleep(0)
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    words = [w.lower() for w in _WORD.findall(text)]
    return {"sentences": sentences, "words": words}


async def keywords(doc: dict[str, Any]) -> dict[str, Any]:
    """The most frequent words that are not stop words."""
    counts = Counter(w for w in doc["words"] if w not in _STOP and len(w) > 2)
    return {**doc, "keywords": [w for w, _ in counts.most_common(5)]}


async def summarise(doc: dict[str, Any], ctx: Any = None) -> dict[str, Any]:
    """Pick the sentences that carry the most keywords, in document order."""
    keys = set(doc["keywords"])
    scores: list[tuple[int, int]] = []
    for index, sentence in enumerate(doc["sentences"]):
        if index % _SLICE == _SLICE - 1:
            await asyncio.sleep(0)  # CPU work on the event loop: let other tasks run between slices
        scores.append((-sum(w.lower() in keys for w in _WORD.findall(sentence)), index))
    chosen = sorted((index, doc["sentences"][index]) for _, index in sorted(scores)[:2])
    return {
        "summary": " ".join(s for _, s in chosen),
        "keywords": doc["keywords"],
        "sentences": len(doc["sentences"]),
        "words": len(doc["words"]),
        "task": getattr(ctx, "task_id", None),
    }
