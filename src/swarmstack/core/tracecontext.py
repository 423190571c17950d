"""The W3C trace context a task carries from its submit to its worker.

A submit stores the `traceparent` of the span it ran in (inside FastAPI's server span, which
continues an incoming `traceparent` header's trace or starts one) with the task; the worker
starts the task's spans as children of it, so a trace shows submit -> queue wait -> steps ->
LLM and tool calls -> record across processes. Format: W3C Trace Context,
https://www.w3.org/TR/trace-context/ (`00-<trace id>-<span id>-<flags>`, 55 characters). With
tracing off the spans are OpenTelemetry's no-op ones and nothing is stored.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACER = "swarmstack"
_W3C = TraceContextTextMapPropagator()


def tracer() -> trace.Tracer:
    """The tracer of swarmstack's spans (a no-op one until tracing is configured)."""
    return trace.get_tracer(TRACER)


def current_traceparent() -> str | None:
    """The `traceparent` of the current span, or None when no span is recording."""
    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


def parent_of(traceparent: str | None) -> Context | None:
    """The context a stored `traceparent` names (None for none)."""
    if not traceparent:
        return None
    return _W3C.extract({"traceparent": traceparent})
