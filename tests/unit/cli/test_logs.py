"""JSON log lines, and the trace they belong to when logged inside a span."""

from __future__ import annotations

import json
import logging

from swarmstack.cli.logs import JsonFormatter
from swarmstack.core.tracecontext import tracer
from tests.support.spans import recorded


def _line(message: str) -> dict[str, object]:
    record = logging.LogRecord("swarmstack.x", logging.WARNING, __file__, 1, message, (), None)
    parsed: dict[str, object] = json.loads(JsonFormatter().format(record))
    return parsed


def test_a_line_is_one_json_object() -> None:
    line = _line("disk 93% full: ünïcode kept")
    assert line["level"] == "WARNING" and line["logger"] == "swarmstack.x"
    assert line["message"] == "disk 93% full: ünïcode kept"
    assert "trace_id" not in line


def test_inside_a_span_a_line_names_its_trace() -> None:
    recorded()
    with tracer().start_as_current_span("task") as span:
        line = _line("step failed")
        ctx = span.get_span_context()
    assert line["trace_id"] == f"{ctx.trace_id:032x}"
    assert line["span_id"] == f"{ctx.span_id:016x}"
