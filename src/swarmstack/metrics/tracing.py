"""Turn tracing on for this process: OpenTelemetry's SDK with a batching OTLP/HTTP exporter.

Off unless `tracing.enabled` (the seed's `[monitoring] tracing_enabled`). The exporter is
configured by the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, ...; default
http://localhost:4318/v1/traces) and sampling by OTEL_TRACES_SAMPLER; see the OpenTelemetry
specification, "Environment Variable Specification". Spans are exported in the background
(BatchSpanProcessor), never on a request's or a task's path.
"""

from __future__ import annotations

import logging
import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from swarmstack import __version__
from swarmstack.settings.models import TracingSettings

log = logging.getLogger(__name__)
_installed: list[TracerProvider] = []


def configure_tracing(
    settings: TracingSettings, processor: SpanProcessor | None = None
) -> TracerProvider | None:
    """Install the tracer provider once per process when tracing is on (`processor` replaces
    the OTLP exporter, for tests); the provider, or None when tracing is off."""
    if not settings.enabled:
        return None
    if _installed:
        return _installed[0]
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    name = os.environ.get("OTEL_SERVICE_NAME") or settings.service_name
    provider = TracerProvider(
        resource=Resource.create({"service.name": name, "service.version": __version__})
    )
    provider.add_span_processor(processor or BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _installed.append(provider)
    log.info("tracing on: spans go to OTLP as the OTEL_* variables say (service %s)", name)
    return provider


def flush_tracing(timeout_s: float = 5.0) -> None:
    """Export what is buffered (at stop)."""
    for provider in _installed:
        provider.force_flush(int(timeout_s * 1000))
