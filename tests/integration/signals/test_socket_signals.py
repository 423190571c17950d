"""Unix datagram signals between the processes of one host sharing a SQLite store: where the
sockets live, who may use them, peers that died, and payloads that are not ours."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from swarmstack.settings import Settings
from swarmstack.signals import make_signals
from swarmstack.signals.local import LocalSignals
from swarmstack.signals.socket_signals import SocketSignals, socket_dir
from tests.integration.signals.test_remote_signals import Seen, connected


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[SocketSignals, SocketSignals]]:
    directory = socket_dir(str(tmp_path / "store.db"))
    a, b = SocketSignals(directory), SocketSignals(directory)
    await connected(a, b)
    yield a, b
    await a.aclose()
    await b.aclose()


def test_every_path_to_one_store_file_names_one_short_private_directory(tmp_path: Path) -> None:
    store = tmp_path / "deep" / ("d" * 150) / "store.db"
    store.parent.mkdir(parents=True)
    store.touch()
    link = tmp_path / "link.db"
    link.symlink_to(store)
    found = socket_dir(str(store))
    assert (
        found
        == socket_dir(str(link))
        == socket_dir(str(tmp_path / "deep" / ".." / "deep" / ("d" * 150) / "store.db"))
    )
    assert found != socket_dir(str(tmp_path / "other.db"))
    assert len(str(found / "0123456789ab.sock")) < 108  # unix(7): sun_path holds 108 bytes


def test_a_sqlite_file_store_gets_socket_signals_and_memory_gets_local(tmp_path: Path) -> None:
    on_file = Settings(store={"url": f"sqlite+aiosqlite:///{tmp_path / 's.db'}"})
    in_memory = Settings(store={"url": "sqlite+aiosqlite:///:memory:"})
    assert isinstance(make_signals(on_file), SocketSignals)
    assert isinstance(make_signals(in_memory), LocalSignals)


async def test_a_node_gone_without_cleaning_up_is_removed_by_the_next_sender(
    pair: tuple[SocketSignals, SocketSignals],
) -> None:
    a, b = pair
    dead = a.directory / "deadbeef0000.sock"
    ghost = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ghost.bind(str(dead))
    ghost.close()  # the file stays, as after a crash: datagrams to it are refused
    seen = Seen()
    b.on_finished(seen)
    a._peers_at = 0.0  # list the directory again now rather than within PEERS_TTL_S
    a.tasks_finished(["t1"])
    assert await seen.until(1) == ["t1"]  # the live peer still got it
    assert not dead.exists()


async def test_a_malformed_datagram_is_ignored_and_the_link_stays_up(
    pair: tuple[SocketSignals, SocketSignals],
) -> None:
    a, b = pair
    seen = Seen()
    b.on_finished(seen)
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        for junk in (b"\xff\xfe", b"[1, 2]", b'{"f": [1]}', b"x" * 60000):
            sender.sendto(junk, str(b.path))
    finally:
        sender.close()
    a.tasks_finished(["after"])
    assert await seen.until(1) == ["after"]
    assert b.connected.is_set()


async def test_a_directory_open_to_other_users_is_refused(tmp_path: Path) -> None:
    directory = socket_dir(str(tmp_path / "open.db"))
    directory.mkdir(parents=True, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o777)
    node = SocketSignals(directory)
    await node.start()
    await asyncio.sleep(0.3)
    try:
        assert not node.connected.is_set()  # stays local: the store's polling covers it
        assert not node.path.exists()
    finally:
        await node.aclose()
        os.rmdir(directory)


async def test_closing_removes_the_socket(tmp_path: Path) -> None:
    node = SocketSignals(socket_dir(str(tmp_path / "c.db")))
    await connected(node)
    assert node.path.exists()
    await node.aclose()
    assert not node.path.exists()


async def test_a_node_that_joins_is_signalled_at_once(
    pair: tuple[SocketSignals, SocketSignals],
) -> None:
    a, _b = pair
    a.tasks_finished(["before"])  # a lists its peers now (b only) and keeps that listing
    late = SocketSignals(a.directory)
    await connected(late)  # its hello makes a list the directory again
    seen = Seen()
    late.on_finished(seen)
    try:
        await asyncio.sleep(0.05)
        a.tasks_finished(["after"])
        assert await seen.until(1) == ["after"]
    finally:
        await late.aclose()
