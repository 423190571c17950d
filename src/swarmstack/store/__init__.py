"""The durable store, which is also the queue (SQLite or PostgreSQL through SQLAlchemy).

Public API: `Store` (one object with `.tasks`, `.claims`, `.events`, `.keys`, `.cluster`) and
`open_store(url)`, which migrates the schema before returning (`existing=True` for maintenance
commands: refuse a store that does not exist yet instead of creating an empty one). Only this
package imports SQLAlchemy. Task data is sealed with the store's keyring (`keyring=`; without
one, nothing new is encrypted and only plain values can be read): see `store.sealed`.
"""

from __future__ import annotations

from swarmstack.core.retry import RetryPolicy
from swarmstack.security.crypto import Keyring, Sealer
from swarmstack.security.roles import Principal
from swarmstack.store.audit import AuditEntry, AuditRecord, AuditStore
from swarmstack.store.claims import Applied, ClaimStore
from swarmstack.store.cluster import ClusterStore, ManagerInfo, WorkerInfo
from swarmstack.store.deployments import Deployment, DeploymentStore, HistoryLine, Route
from swarmstack.store.engine import Database
from swarmstack.store.events import EventStore
from swarmstack.store.existing import has_schema, missing_sqlite_file, no_store_here
from swarmstack.store.keys import KeyInfo, KeyStore, NewKey
from swarmstack.store.migrate import migrate
from swarmstack.store.refresh_tokens import Redeemed, RefreshTokenStore
from swarmstack.store.sealed import check_keys
from swarmstack.store.sessions import SessionStore
from swarmstack.store.task_search import TaskSearch
from swarmstack.store.tasks import SubmitResult, TaskStore
from swarmstack.store.users import User, UserStore


class Store:
    """Every repository over one database."""

    def __init__(
        self,
        db: Database,
        policies: dict[str, RetryPolicy] | None = None,
        keyring: Sealer | None = None,
    ) -> None:
        self.db = db
        self.keyring: Sealer = keyring if keyring is not None else Keyring()
        self.tasks = TaskStore(db, self.keyring)
        self.task_search = TaskSearch(db, self.keyring)
        self.claims = ClaimStore(db, policies, keys=self.keyring)
        self.events = EventStore(db, self.keyring)
        self.keys = KeyStore(db)
        self.cluster = ClusterStore(db)
        self.sessions = SessionStore(db, self.keyring)
        self.deployments = DeploymentStore(db, self.keyring)
        self.users = UserStore(db)
        self.refresh_tokens = RefreshTokenStore(db)
        self.audit = AuditStore(db)

    async def close(self) -> None:
        """Close the connection pools."""
        await self.db.dispose()


async def open_store(
    url: str,
    *,
    policies: dict[str, RetryPolicy] | None = None,
    pool_size: int = 10,
    max_overflow: int = 10,
    ping_after_idle: float = 0.0,
    existing: bool = False,
    keyring: Sealer | None = None,
) -> Store:
    """Connect, migrate to the newest schema, and return the store. With `existing`, raise
    NotFound (creating nothing) when the SQLite file is missing or the database has no schema."""
    if existing and missing_sqlite_file(url) is not None:
        raise no_store_here(url)
    db = Database(
        url, pool_size=pool_size, max_overflow=max_overflow, ping_after_idle=ping_after_idle
    )
    try:
        if existing and not await has_schema(db):
            raise no_store_here(db.url)
        await migrate(db)
    except BaseException:
        await db.dispose()
        raise
    return Store(db, policies, keyring)


__all__ = [
    "Applied",
    "AuditEntry",
    "AuditRecord",
    "Deployment",
    "DeploymentStore",
    "HistoryLine",
    "KeyInfo",
    "ManagerInfo",
    "NewKey",
    "Principal",
    "Redeemed",
    "Route",
    "Store",
    "SubmitResult",
    "User",
    "WorkerInfo",
    "check_keys",
    "open_store",
]
