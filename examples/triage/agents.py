"""Agents of the triage swarm: plain synchronous Python (they run in the worker's thread pool)."""

from __future__ import annotations

import re
from typing import Any

_URGENT = ("outage", "down", "urgent", "asap", "data loss", "security", "breach")
_TOPICS = {
    "billing": ("invoice", "refund", "charge", "payment", "billing", "price"),
    "access": ("password", "login", "locked", "2fa", "sso", "access"),
    "bug": ("error", "crash", "exception", "broken", "bug", "fails"),
}
# Both patterns run in linear time on any text: the sync agents hold the GIL while `re` runs
# (C code a thread cannot be preempted from), so a pattern that backtracks quadratically would
# freeze the whole worker on a long message. The lookbehind starts an address only where a run
# of address characters starts (not again at each of its characters), and the possessive `*+`
# keeps `order   ` from trying every split of its spaces between two `\s*`.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+")
_ORDER = re.compile(r"\b(?:order|invoice)\s*+(?:#\s*+)?(\d{4,})\b", re.IGNORECASE)


def extract(task: Any) -> dict[str, Any]:
    """Pull the text, e-mail addresses and order numbers out of a message."""
    text = task.get("text", "") if isinstance(task, dict) else str(task)
    return {
        "text": text,
        "emails": sorted(set(_EMAIL.findall(text))),
        "orders": sorted(set(_ORDER.findall(text))),
        "words": len(text.split()),
    }


def classify(doc: dict[str, Any]) -> dict[str, Any]:
    """Score topics by keyword hits and flag urgency."""
    lowered = doc["text"].lower()
    scores = {topic: sum(lowered.count(w) for w in words) for topic, words in _TOPICS.items()}
    topic = max(scores, key=lambda t: scores[t]) if any(scores.values()) else "general"
    urgent = any(w in lowered for w in _URGENT)
    return {**doc, "topic": topic, "scores": scores, "urgent": urgent}


def route(doc: dict[str, Any]) -> dict[str, Any]:
    """Choose a queue and a response deadline."""
    queue = f"{doc['topic']}-{'p1' if doc['urgent'] else 'p3'}"
    return {
        "queue": queue,
        "topic": doc["topic"],
        "urgent": doc["urgent"],
        "respond_within_hours": 1 if doc["urgent"] else 24,
        "contacts": doc["emails"],
        "orders": doc["orders"],
    }
