"""Settings from the seed's config.toml change what the manager does."""

from __future__ import annotations

import pytest

from tests.integration.server.conftest import Node


@pytest.mark.parametrize("server_overrides", [{"gzip": True, "max_body_bytes": 1 << 20}])
async def test_gzip_compresses_large_answers(node: Node) -> None:
    big = {"text": "word " * 2000}
    response = await node.http.post(
        "/api/v1/tasks", params={"wait": 10}, json={"swarm": "echo", "input": big}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["result"] == big


async def test_answers_are_not_compressed_by_default(node: Node) -> None:
    response = await node.http.get("/api/v1/tasks", params={"limit": 100})
    assert "content-encoding" not in response.headers


@pytest.mark.parametrize("server_overrides", [{"metrics_enabled": False}])
async def test_metrics_can_be_turned_off(node: Node) -> None:
    response = await node.http.get("/metrics")
    assert response.status_code == 404
    assert "metrics_enabled" in response.json()["fix"]
