"""The HTTP connections LLM agents share: one aiohttp session, opened at first use.

aiohttp, not httpx: an LLM call through aiohttp costs the worker a fifth to a third of the CPU
(whole answers to streamed ones), and a call in flight about half the memory (docs/benchmarks.md
(c), docs/architecture.md).
The session is opened on the first call because aiohttp binds it to the running event loop, and
a `SwarmRuntime` may be built before the loop runs. Every session of the process shares one TLS
context: loading the CA bundle takes tens of milliseconds, and the Swarms API builds a runtime
(a session) per request.
"""

from __future__ import annotations

import functools
import ssl
from types import TracebackType

import aiohttp
import httpx

# under the 5 s that uvicorn and many proxies keep an idle connection, so a connection is not
# reused just as the server closes it
KEEPALIVE_S = 4.0
CONNECT_TIMEOUT_S = 10.0


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's TLS context: the CA bundle, or SSL_CERT_FILE/SSL_CERT_DIR when set
    (made as httpx makes it, so the project's HTTP clients trust the same authorities)."""
    return httpx.create_ssl_context()


class HttpPool:
    """Keep-alive connections for up to `max_connections` concurrent calls; no overall timeout
    (each call has its own), 10 s to connect. No cookies are kept between calls, and proxy
    variables are not read (a session that reads them looks up ~/.netrc on every request)."""

    def __init__(self, max_connections: int = 1000) -> None:
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self.is_closed = False

    def session(self) -> aiohttp.ClientSession:
        """The session, opened now if this is the first call."""
        if self._session is None:
            if self.is_closed:
                raise RuntimeError("the LLM HTTP pool is closed")
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.max_connections,
                    limit_per_host=0,
                    keepalive_timeout=KEEPALIVE_S,
                    ssl=tls_context(),
                ),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def aclose(self) -> None:
        """Close every connection; later calls fail."""
        self.is_closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> HttpPool:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
