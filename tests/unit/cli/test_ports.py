"""The port check before `up` and `serve` start anything."""

from __future__ import annotations

import socket

import pytest

from swarmstack.cli.ports import PortUnavailable, check_port


def test_a_free_port_and_port_zero_pass() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    check_port("127.0.0.1", free)
    check_port("127.0.0.1", 0)


def test_a_taken_port_names_the_port_and_how_to_choose_another() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortUnavailable, match=f"127.0.0.1:{port}") as caught:
            check_port("127.0.0.1", port)
    assert "--port N" in caught.value.render()


def test_a_host_that_does_not_resolve_says_so() -> None:
    with pytest.raises(PortUnavailable, match="does not resolve"):
        check_port("no-such-host.invalid", 8080)
