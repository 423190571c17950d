"""The listening port, checked before `up` and `serve` start anything: uvicorn finds a taken
port only after the worker started on the store, and fails with its own output and exit 3."""

from __future__ import annotations

import socket

from swarmstack.errors import SwarmstackError


class PortUnavailable(SwarmstackError):
    """The port to listen on cannot be bound."""


def check_port(host: str, port: int) -> None:
    """Bind `host:port` once (as uvicorn will, with SO_REUSEADDR) and release it; raise
    PortUnavailable naming the port and how to choose another when that fails."""
    if port == 0:
        return  # the system picks a free port
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise PortUnavailable(
            f"cannot listen on {host}:{port}: the host does not resolve ({exc.strerror})",
            fix="pass --host with an address of this machine or set SWARMSTACK_SERVER__HOST",
        ) from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise PortUnavailable(
                f"cannot listen on {host}:{port}: {_reason(exc)}",
                fix=f"stop what uses port {port}, or choose another: --port N or "
                "SWARMSTACK_SERVER__PORT=N",
            ) from None


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied (ports below 1024 need privileges)"
    if exc.errno is not None and exc.strerror and "in use" in exc.strerror:
        return "the port is already in use"
    return exc.strerror or str(exc)
