"""Spans recorded in memory for the tests of this process (OpenTelemetry's SDK exporter).

The tracer provider is global and set once per process, so one in-memory exporter serves every
test that asks for it; each test clears it first (`recorded`)."""

from __future__ import annotations

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from swarmstack.metrics.tracing import configure_tracing
from swarmstack.settings.models import TracingSettings

_EXPORTER = InMemorySpanExporter()


def recorded() -> InMemorySpanExporter:
    """The process's in-memory exporter, emptied (tracing on from now on)."""
    configure_tracing(TracingSettings(enabled=True), SimpleSpanProcessor(_EXPORTER))
    _EXPORTER.clear()
    return _EXPORTER
