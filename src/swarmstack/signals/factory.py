"""Choose the signals and the result cache a node uses, from its settings."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from swarmstack.settings import Settings
from swarmstack.signals.dual_signals import DualSignals
from swarmstack.signals.local import LocalSignals, Signals
from swarmstack.signals.pg_signals import PgSignals
from swarmstack.signals.redis_signals import RedisSignals, ResultCache
from swarmstack.signals.socket_signals import SocketSignals, socket_dir


def make_signals(settings: Settings) -> Signals:
    """Redis when `redis.url` is set (with LISTEN/NOTIFY as its fallback on a PostgreSQL store);
    else LISTEN/NOTIFY on a PostgreSQL store; else, on a SQLite file, Unix datagrams between
    the processes on this host that share it; else (an in-memory store) local."""
    on_pg = settings.store_url().startswith("postgresql")
    if settings.redis.url is not None:
        redis = RedisSignals(settings.redis.url.get_secret_value())
        return DualSignals(redis, PgSignals(settings.store_url())) if on_pg else redis
    if on_pg:
        return PgSignals(settings.store_url())
    path = make_url(settings.store_url()).database
    if path and path != ":memory:" and not path.startswith("file:"):
        return SocketSignals(socket_dir(path))
    return LocalSignals()


def make_cache(settings: Settings) -> ResultCache | None:
    """The result cache when Redis is configured and the TTL is positive."""
    if settings.redis.url is None or settings.redis.cache_ttl <= 0:
        return None
    return ResultCache(settings.redis.url.get_secret_value(), settings.redis.cache_ttl)
