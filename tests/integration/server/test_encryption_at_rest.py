"""Encryption at rest, end to end: a marker sent through the API (and echoed by real workers
into results, step events, traces, session history and errors) is found nowhere in the SQLite
files (database, -wal, -shm), in a pg_dump of the PostgreSQL database, or in the retention
archive; the API still answers it in full."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from swarmstack.metrics import Metrics
from swarmstack.node import Node, build_node
from swarmstack.settings import Settings
from swarmstack.spec import SwarmSpec
from swarmstack.store.archive import write_batch
from swarmstack.store.retention import export
from tests.conftest import SpecFactory
from tests.support.keys import TEST_KEY

MARKER = "zebra-7c4e-MARKER-ünï"
KEY = "ssk_test_at_rest"
FAST_RETRY = "{retry_attempts: 1, retry_delay: 10ms}"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'at-rest.db'}"
    fresh: str = request.getfixturevalue("fresh_pg_url")
    return fresh


def swarms(make_spec: SpecFactory) -> list[SwarmSpec]:
    """An echo swarm, and one whose agent fails with the input's `raise` as its error."""
    return [
        make_spec("echo", "tests.support.agents:echo"),
        make_spec(
            "fails",
            "tests.support.agents:produce",
            runtime="{retry_attempts: 1, retry_delay: 10ms}",
        ),
    ]


@pytest.fixture
async def running(url: str, tmp_path: Path, make_spec: SpecFactory) -> AsyncIterator[Node]:
    settings = Settings(
        data_dir=tmp_path,
        store={"url": url},  # type: ignore[arg-type]
        security={"admin_key": KEY, "encryption_key": TEST_KEY},  # type: ignore[arg-type]
    )
    node = await build_node(swarms(make_spec), settings, metrics=Metrics())
    await node.start_manager()
    await node.start_worker()
    yield node
    await node.stop(drain_timeout_s=1)


async def send_marker(node: Node) -> list[str]:
    transport = httpx.ASGITransport(app=node.app(manage_lifecycle=False))
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://m", headers=headers) as http:
        bodies = [
            {"swarm": "echo", "input": {"text": MARKER}, "session": "chat-1"},
            {"swarm": "echo", "input": {"again": MARKER}, "session": "chat-1"},
            {"swarm": "fails", "input": {"raise": MARKER}},
        ]
        done = [(await http.post("/api/v1/tasks?wait=20", json=b)).json() for b in bodies]
        assert [d["status"] for d in done] == ["succeeded", "succeeded", "failed"], done
        assert done[0]["result"] == {"text": MARKER}  # the API answers in full
        assert MARKER in done[2]["error"]
        events = (await http.get(f"/api/v1/tasks/{done[0]['id']}/events")).text
        assert "zebra-7c4e-MARKER" in events
    return [d["id"] for d in done]


def dump_of(url: str, tmp_path: Path) -> bytes:
    if url.startswith("sqlite"):
        db = Path(url.split("///", 1)[1])
        files = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
        assert db in files
        return b"".join(p.read_bytes() for p in files)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    libpq = url.replace("postgresql+asyncpg://", "postgresql://")
    return subprocess.run([pg_dump, "-d", libpq], capture_output=True, check=True).stdout


def assert_no_marker(data: bytes, where: str) -> None:
    for form in (MARKER.encode(), MARKER.encode("unicode_escape"), b"zebra-7c4e"):
        assert form not in data, f"{form!r} found in {where}"


async def test_the_marker_is_nowhere_at_rest(running: Node, url: str, tmp_path: Path) -> None:
    ids = await send_marker(running)
    assert_no_marker(dump_of(url, tmp_path), "the store while it runs")
    archive = write_batch(tmp_path / "archive", await export(running.store.db, ids), 0.0)
    assert_no_marker(gzip.decompress(archive.read_bytes()), "the retention archive")
    session = (await running.store.tasks.get(ids[0])).session  # scoped to its principal
    assert session is not None
    history = await running.store.sessions.history(session, 10)
    assert "zebra-7c4e-MARKER" in history[0]["content"]
    await running.stop(drain_timeout_s=1)
    assert_no_marker(dump_of(url, tmp_path), "the store after a stop")


async def test_the_control_without_encryption_finds_the_marker(
    url: str, tmp_path: Path, make_spec: SpecFactory
) -> None:
    """The grep above would see the marker if it were stored in plain text."""
    settings = Settings(
        data_dir=tmp_path,
        store={"url": url},  # type: ignore[arg-type]
        security={"admin_key": KEY, "encryption": False},  # type: ignore[arg-type]
    )
    node = await build_node(swarms(make_spec), settings, metrics=Metrics())
    await node.start_manager()
    await node.start_worker()
    try:
        await send_marker(node)
    finally:
        await node.stop(drain_timeout_s=1)
    assert MARKER.encode() in dump_of(url, tmp_path)
