"""The HTTP client LLM agents share: keep-alive connections spread over several small pools.

httpcore's connection pool looks at every pooled connection on each request, so one pool of
thousands of connections spends most of the worker's CPU choosing a connection. Shards of a few
dozen connections, taken in turn, keep that choice cheap at any concurrency. Every pool of
the process shares one TLS context: loading the CA bundle takes tens of milliseconds, and the
Swarms API builds a runtime (a client) per request.
"""

from __future__ import annotations

import functools
import itertools
import math
import ssl

import httpx

SHARD_CONNECTIONS = 8


class ShardedTransport(httpx.AsyncBaseTransport):
    """Round-robin over several independent connection pools."""

    def __init__(self, max_connections: int, shard_connections: int = SHARD_CONNECTIONS) -> None:
        per_shard = max(1, min(shard_connections, max_connections))
        count = math.ceil(max_connections / per_shard)
        limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        self.shards = [
            httpx.AsyncHTTPTransport(limits=limits, verify=tls_context()) for _ in range(count)
        ]
        self._next = itertools.cycle(self.shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through the next pool."""
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        """Close every pool."""
        for shard in self.shards:
            await shard.aclose()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's TLS context, as httpx makes it (the CA bundle, SSL_CERT_FILE/DIR)."""
    return httpx.create_ssl_context()


def new_http_client(max_connections: int = 1000) -> httpx.AsyncClient:
    """A client for up to `max_connections` concurrent calls; no global timeout (each call
    has its own). Idle connections stay alive for 5 s, so calls under load reuse them."""
    return httpx.AsyncClient(
        transport=ShardedTransport(max_connections),
        timeout=httpx.Timeout(None, connect=10.0),
    )
