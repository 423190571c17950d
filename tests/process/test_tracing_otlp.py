"""`up` with tracing on exports a task's spans over OTLP/HTTP to the endpoint the standard
OTEL_* variables name: here a receiver the test runs, which decodes what arrives."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.process.conftest import Procs
from tests.support.net import free_port

pytestmark = pytest.mark.process
KEY = "ssk_tracing_otlp_admin_key"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class Receiver:
    """An OTLP/HTTP trace receiver: POST /v1/traces with a protobuf body."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str, str]] = []  # (service, span name, trace id)
        self.paths: list[str] = []
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.paths.append(self.path)
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource in request.resource_spans:
                    service = next(
                        a.value.string_value
                        for a in resource.resource.attributes
                        if a.key == "service.name"
                    )
                    for scope in resource.scope_spans:
                        for span in scope.spans:
                            received.spans.append((service, span.name, span.trace_id.hex()))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_a_tasks_spans_reach_the_otlp_endpoint(
    procs: Procs, tmp_path: Path, receiver: Receiver
) -> None:
    url = procs.up(
        key=KEY,
        env={
            "SWARMSTACK_TRACING__ENABLED": "true",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
            "OTEL_SERVICE_NAME": "triage-service",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        },
    )
    answer = httpx.post(
        f"{url}/api/v1/tasks",
        params={"wait": 20},
        headers={
            "Authorization": f"Bearer {KEY}",
            "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01",
        },
        json={"swarm": "triage", "input": {"text": "refund for invoice 7"}},
        timeout=30,
    ).json()
    assert answer["status"] == "succeeded"
    deadline = time.monotonic() + 20
    names: set[str] = set()
    while time.monotonic() < deadline and not {"submit", "task triage", "record"} <= names:
        time.sleep(0.1)
        names = {name for _, name, trace in receiver.spans if trace == TRACE}
    assert {"submit", "queue wait", "task triage", "record"} <= names, receiver.spans
    assert any(name.startswith("step ") for name in names), names
    assert {service for service, _, _ in receiver.spans} == {"triage-service"}
    assert set(receiver.paths) == {"/v1/traces"}
