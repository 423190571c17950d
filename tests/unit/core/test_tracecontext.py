"""The trace context a task carries: what a span's traceparent is, and back."""

from __future__ import annotations

import subprocess
import sys

from opentelemetry import trace

from swarmstack.core.tracecontext import current_traceparent, parent_of, tracer
from tests.support.spans import recorded

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_outside_a_span_there_is_nothing_to_carry() -> None:
    assert current_traceparent() is None
    assert parent_of(None) is None and parent_of("") is None


def test_a_stored_traceparent_becomes_the_parent_of_the_next_span() -> None:
    recorded()
    with tracer().start_as_current_span("task", context=parent_of(TRACEPARENT)) as span:
        carried = current_traceparent()
        ctx = span.get_span_context()
    assert ctx.trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736
    assert carried == f"00-4bf92f3577b34da6a3ce929d0e0e4736-{ctx.span_id:016x}-01"
    assert len(carried) == 55  # the column's width
    parent = trace.get_current_span(parent_of(carried)).get_span_context()
    assert (parent.trace_id, parent.span_id) == (ctx.trace_id, ctx.span_id)


def test_a_malformed_traceparent_starts_a_new_trace() -> None:
    recorded()
    with tracer().start_as_current_span("task", context=parent_of("00-nonsense")) as span:
        assert span.get_span_context().trace_id != 0x4BF92F3577B34DA6A3CE929D0E0E4736
        assert span.get_span_context().is_valid


NO_PROVIDER = """
from opentelemetry import trace
from swarmstack.core.tracecontext import parent_of, tracer

parent = parent_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
with tracer().start_as_current_span("task", context=parent) as span:
    assert span is trace.INVALID_SPAN
    assert trace.get_current_span() is trace.INVALID_SPAN  # the context is left as it was
assert tracer() is tracer()
"""


def test_without_a_tracer_provider_no_span_is_started() -> None:
    # in a process of its own: the provider is global, and other tests install one
    subprocess.run([sys.executable, "-c", NO_PROVIDER], check=True, timeout=60)
