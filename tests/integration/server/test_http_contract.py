"""HTTP contract details: the body limit holds for chunked bodies, 405 names every method a
path serves, Last-Event-ID is checked as documented, and OpenAPI declares the bearer scheme."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.server.conftest import Node


async def chunks(total: int, size: int = 65536) -> AsyncIterator[bytes]:
    yield b'{"swarm": "echo", "input": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}'


async def test_a_chunked_body_over_the_limit_gets_413(node: Node) -> None:
    response = await node.http.post(
        "/api/v1/tasks",
        content=chunks(2 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")


async def test_a_small_chunked_body_is_accepted(node: Node) -> None:
    response = await node.http.post(
        "/api/v1/tasks", content=chunks(1000, 100), headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (200, 202), response.text


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/v1/tasks", "GET, POST"),
        ("DELETE", "/api/v1/tasks", "GET, POST"),
        ("PUT", "/api/v1/tasks/t_x", "GET"),
        ("GET", "/api/v1/tasks/t_x/cancel", "POST"),
        ("POST", "/health", "GET"),
    ],
)
async def test_405_names_every_method_of_the_path(
    node: Node, method: str, path: str, allow: str
) -> None:
    response = await node.http.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


@pytest.mark.parametrize(("value", "status"), [("abc", 422), ("1" * 19, 422), ("-1", 422)])
async def test_last_event_id_is_checked_as_documented(node: Node, value: str, status: int) -> None:
    task = (await node.http.post("/api/v1/tasks", json={"swarm": "echo", "input": "x"})).json()
    response = await node.http.get(
        f"/api/v1/tasks/{task['id']}/events", headers={"Last-Event-ID": value}
    )
    assert response.status_code == status
    schema = (await node.http.get("/openapi.json")).json()
    [header] = [
        p
        for p in schema["paths"]["/api/v1/tasks/{task_id}/events"]["get"]["parameters"]
        if p["name"].lower() == "last-event-id"
    ]
    assert header["schema"]["pattern"] == "^[0-9]{0,18}$"
    assert header["schema"]["type"] == "string"


async def test_openapi_declares_the_bearer_scheme(node: Node) -> None:
    schema = (await node.http.get("/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= next(iter(schemes.values())).items()
    assert schema["paths"]["/api/v1/tasks"]["post"]["security"]
