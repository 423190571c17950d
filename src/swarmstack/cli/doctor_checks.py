"""The checks of `swarmstack doctor`, one function each, each returning `Check` rows: versions,
the configured store, Redis and LLM endpoints (reached with a short timeout) and the machine's
resources. Called only by cli/doctor_cli.py; none of them changes anything."""

from __future__ import annotations

import asyncio
import os
import platform
import re
import shutil
import sqlite3
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import httpx

from swarmstack import __version__
from swarmstack.cli.output import mask_url
from swarmstack.settings import Settings
from swarmstack.spec import SwarmSpec
from swarmstack.spec.agents import LLMAgent

Status = Literal["ok", "warn", "fail"]
TIMEOUT_S = 3.0
PACKAGES = (
    *("fastapi", "starlette", "uvicorn", "pydantic", "SQLAlchemy", "asyncpg", "redis"),
    *("httpx", "cryptography", "typer"),
)
LOW_DISK_BYTES = 1 << 30


@dataclass(frozen=True)
class Check:
    """One row: what was checked, its verdict, what was seen, how to fix it (for warn and
    fail) and the observations as data (for `--json`)."""

    name: str
    status: Status
    detail: str
    hint: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON."""
        return asdict(self)


def versions() -> list[Check]:
    """swarmstack, Python and the key dependencies' installed versions."""
    found = {name: _installed(name) for name in PACKAGES}
    missing = [n for n, v in found.items() if v is None]
    python = platform.python_version()
    rows = [
        Check("swarmstack", "ok", __version__, data={"version": __version__}),
        Check("python", "ok", f"{python} ({sys.executable})", data={"version": python}),
    ]
    detail = ", ".join(f"{n} {v}" for n, v in found.items() if v)
    hint = "reinstall: .venv/bin/pip install -e ." if missing else ""
    rows.append(Check("dependencies", "fail" if missing else "ok", detail, hint, found))
    return rows


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


async def store(settings: Settings) -> Check:
    """The store the settings name: SQLite's library version and file, or PostgreSQL's server
    version (a connection with a short timeout)."""
    url = settings.store_url()
    shown = mask_url(url)
    if url.startswith("sqlite"):
        return _sqlite(url, shown)
    try:
        version = await asyncio.wait_for(_pg_version(url), TIMEOUT_S + 1)
    except Exception as exc:
        hint = _PG_HINTS.get(_sqlstate(exc) or "", _PG_UNREACHABLE)
        return Check("store", "fail", f"{shown}: {_reason(exc)}", hint, {"url": shown})
    data = {"url": shown, "backend": "postgresql", "version": version}
    return Check("store", "ok", f"PostgreSQL {version} at {shown}", data=data)


_PG_URL = "SWARMSTACK_STORE__URL / DATABASE_URL"
_PG_UNREACHABLE = f"start PostgreSQL or fix the host and port in {_PG_URL}"
# SQLSTATEs of a server that answered but refused (PostgreSQL manual, Appendix A)
_PG_HINTS = {
    "28P01": f"fix the user or password in {_PG_URL} (the server refused them)",
    "28000": f"fix the user in {_PG_URL}, or allow it in pg_hba.conf (the server refused it)",
    "3D000": f"create the database (createdb NAME) or fix its name in {_PG_URL}",
    "42501": f"grant the user CONNECT on the database, or fix the user in {_PG_URL}",
}


def _sqlstate(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    for _ in range(5):  # the driver's error, under SQLAlchemy's and asyncio's
        if seen is None:
            return None
        if isinstance(code := getattr(seen, "sqlstate", None), str):
            return code
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def _sqlite(url: str, shown: str) -> Check:
    path = Path(url.split(":///", 1)[1])
    data = {"url": shown, "backend": "sqlite", "version": sqlite3.sqlite_version}
    if not path.exists():
        hint = "`swarmstack up` creates it; or point --data-dir at an existing store"
        return Check("store", "warn", f"SQLite {sqlite3.sqlite_version}; no {path} yet", hint, data)
    return Check("store", "ok", f"SQLite {sqlite3.sqlite_version} at {path}", data=data)


async def _pg_version(url: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, connect_args={"timeout": TIMEOUT_S})
    try:
        async with engine.connect() as conn:
            return str((await conn.execute(text("SHOW server_version"))).scalar_one())
    finally:
        await engine.dispose()


async def redis(settings: Settings) -> Check:
    """Redis when configured: its server version (PING and INFO with a short timeout)."""
    if settings.redis.url is None or not settings.redis.url.get_secret_value():
        return Check("redis", "ok", "not configured (optional)", data={"configured": False})
    import redis.asyncio as aioredis

    url = settings.redis.url.get_secret_value()
    shown = mask_url(url)
    client = aioredis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    try:
        info = await client.info("server")
    except Exception as exc:
        hint = "start Redis, fix REDIS_URL / SWARMSTACK_REDIS__URL, or unset it"
        return Check("redis", "fail", f"{shown}: {_reason(exc)}", hint, {"url": shown})
    finally:
        await client.aclose()
    version = str(info.get("redis_version", "?"))
    data = {"configured": True, "url": shown, "version": version}
    return Check("redis", "ok", f"Redis {version} at {shown}", data=data)


async def llm_endpoints(specs: list[SwarmSpec]) -> list[Check]:
    """Each distinct LLM endpoint of the specs: GET <base_url>/models with a short timeout.
    Any HTTP answer (401 too: no key was sent) shows the endpoint is reachable."""
    urls = sorted({a.base_url for s in specs for a in s.agents.values() if isinstance(a, LLMAgent)})
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        return list(await asyncio.gather(*(_endpoint(client, url) for url in urls)))


async def _endpoint(client: httpx.AsyncClient, base_url: str) -> Check:
    name = f"llm {base_url}"
    try:
        answer = await client.get(base_url.rstrip("/") + "/models")
    except httpx.HTTPError as exc:
        hint = "start the endpoint or fix the agents' base_url (OPENAI_BASE_URL)"
        return Check(name, "fail", f"unreachable: {_reason(exc)}", hint, {"url": base_url})
    data = {"url": base_url, "http_status": answer.status_code}
    return Check(name, "ok", f"answered HTTP {answer.status_code}", data=data)


def resources(data_dir: Path) -> list[Check]:
    """CPU count, memory total and available (Linux /proc/meminfo), free disk at `data_dir`
    (or its nearest existing parent)."""
    rows = [Check("cpus", "ok", str(os.cpu_count()), data={"count": os.cpu_count()})]
    memory = _meminfo()
    if memory:
        detail = f"{_gib(memory['MemTotal'])} total, {_gib(memory['MemAvailable'])} available"
        data = {"total_bytes": memory["MemTotal"], "available_bytes": memory["MemAvailable"]}
        rows.append(Check("memory", "ok", detail, data=data))
    where = _existing(data_dir.resolve())
    free = shutil.disk_usage(where).free
    status: Status = "warn" if free < LOW_DISK_BYTES else "ok"
    hint = "free disk space there, or choose another --data-dir" if status == "warn" else ""
    disk = {"path": str(where), "free_bytes": free}
    rows.append(Check("disk", status, f"{_gib(free)} free at {where}", hint, disk))
    return rows


def _meminfo() -> dict[str, int]:
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return {}
    found = {}
    for line in lines:
        key, _, rest = line.partition(":")
        if key in ("MemTotal", "MemAvailable"):
            found[key] = int(rest.split()[0]) * 1024
    return found if len(found) == 2 else {}


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _gib(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB"


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    # without SQLAlchemy's "(sqlalchemy.dialects.postgresql.asyncpg.Error) " prefix
    return re.sub(r"^\([\w.]+\) ", "", text.splitlines()[0])[:200]
