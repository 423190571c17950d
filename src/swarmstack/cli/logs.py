"""Logging of every swarmstack process (`up`, `serve`, worker processes, other commands).

Text by default; `log_format = "json"` (SWARMSTACK_LOG_FORMAT=json) writes one JSON object per
line with time, level, logger, message and, when there is one, the exception. Libraries that log
every request (httpx, httpcore) are shown only with --verbose: at info they would log each call
an LLM agent makes.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Literal

from opentelemetry import trace

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CHATTY = ("httpx", "httpcore", "hpack", "asyncio")
QUIET = ("alembic",)


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:  # logged inside a span (tracing on): say which trace it belongs to
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(verbose: bool) -> None:
    """Logging at start-up, before settings are read."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=TEXT_FORMAT)
    for name in CHATTY + QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


def apply(level: str | None, log_format: Literal["text", "json"]) -> None:
    """Logging as the settings say (`level` None: keep the level --verbose chose)."""
    root = logging.getLogger()
    if level is not None:
        root.setLevel(level.upper())
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    for handler in root.handlers:
        handler.setFormatter(formatter)
