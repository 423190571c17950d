"""The W3C trace context a task carries from its submit to its worker.

A submit stores the `traceparent` of the span it ran in (inside FastAPI's server span, which
continues an incoming `traceparent` header's trace or starts one) with the task; the worker
starts the task's spans as children of it, so a trace shows submit -> queue wait -> steps ->
LLM and tool calls -> record across processes. Format: W3C Trace Context,
https://www.w3.org/TR/trace-context/ (`00-<trace id>-<span id>-<flags>`, 55 characters). With
tracing off (no tracer provider installed) `tracer()` starts no spans at all: OpenTelemetry's
own no-op path still builds three generators, a context and a token per span, about 1 KB held by
each of the three spans a task in flight has open, and as much CPU as the span's work.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACER = "swarmstack"
_W3C = TraceContextTextMapPropagator()


class _NoSpans(trace.NoOpTracer):
    """The tracer while none is installed: every span is the one invalid span, made once."""

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        """A context manager that yields the invalid span and changes nothing."""
        return _NO_SPAN


_NO_SPAN = contextlib.nullcontext(trace.INVALID_SPAN)
_NO_SPANS = _NoSpans()


def tracer() -> trace.Tracer:
    """The tracer of swarmstack's spans (one that starts none until tracing is configured)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider):
        return _NO_SPANS
    return _tracer_of(provider)


@functools.cache
def _tracer_of(provider: trace.TracerProvider) -> trace.Tracer:
    return provider.get_tracer(TRACER)


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
