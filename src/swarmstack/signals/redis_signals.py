"""Signals over Redis pub/sub, and the seed's result cache (GET, SET with EX) for finished tasks."""

from __future__ import annotations

import logging
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from swarmstack.signals.remote import RemoteSignals

log = logging.getLogger(__name__)


class RedisSignals(RemoteSignals):
    """Publish to one channel; a pub/sub connection delivers the other nodes' messages."""

    channel = "swarmstack:signals"

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None

    async def _connect(self) -> None:
        client = aioredis.Redis.from_url(self._url, socket_connect_timeout=5)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.channel)
        self._client, self._pubsub = client, pubsub

    async def _disconnect(self) -> None:
        pubsub, client = self._pubsub, self._client
        self._pubsub, self._client = None, None
        if pubsub is not None:
            await pubsub.aclose()
        if client is not None:
            await client.aclose()

    async def _publish(self, payload: str) -> None:
        assert self._client is not None
        await self._client.publish(self.channel, payload)

    async def _listen(self) -> None:
        assert self._pubsub is not None
        async for message in self._pubsub.listen():
            if message.get("type") == "message":
                data = message["data"]
                self.received(data.decode() if isinstance(data, bytes) else str(data))
        raise ConnectionError("the Redis subscription ended")


class ResultCache:
    """Finished tasks' API answers in Redis for `ttl_s`; a Redis fault is a cache miss."""

    def __init__(self, url: str, ttl_s: float, prefix: str = "swarmstack:task:") -> None:
        self._client = aioredis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self._ttl = max(1, round(ttl_s))
        self._prefix = prefix
        self._down_until = 0.0

    async def get(self, task_id: str) -> bytes | None:
        """The cached answer, or None (missing, or Redis unavailable)."""
        if time.monotonic() < self._down_until:
            return None
        try:
            value = await self._client.get(self._prefix + task_id)
        except (RedisError, OSError) as exc:
            self._pause(exc)
            return None
        return value if isinstance(value, bytes) else None

    async def put(self, task_id: str, answer: bytes) -> None:
        """Cache a finished task's answer."""
        if time.monotonic() < self._down_until:
            return
        try:
            await self._client.set(self._prefix + task_id, answer, ex=self._ttl)  # SETEX
        except (RedisError, OSError) as exc:
            self._pause(exc)

    def _pause(self, exc: BaseException) -> None:
        log.warning("result cache unavailable (%s); reading the store for 2s", exc)
        self._down_until = time.monotonic() + 2.0

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
