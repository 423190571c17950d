"""The seed's penetration tests and the admin CLI against `swarmstack up`, as users run them."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from swarmstack.server.access import PUBLIC
from tests.conftest import REPO
from tests.process.conftest import Procs, wait_ready
from tests.support.net import free_port

pytestmark = pytest.mark.process


def cli(*args: str, key: str, url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SWARMSTACK_API_KEY": key, "SWARMSTACK_URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "swarmstack", *args],
        cwd=REPO, env=env, input=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def start_up(procs: Procs, data: Path, port: int, **env: str) -> str:
    procs.start("up", "--port", str(port), "--data-dir", str(data), name="up",
                env={"COLUMNS": "300", **env})  # fmt: skip
    wait_ready(f"http://127.0.0.1:{port}")
    return f"http://127.0.0.1:{port}"


def test_the_seeds_penetration_tests_and_every_route_without_a_token(
    procs: Procs, tmp_path: Path
) -> None:
    # ~40 requests without credentials from one address: more than the per-address burst
    # (tests/integration/server/test_limits.py shows that limit), so it is raised here
    url = start_up(
        procs, tmp_path / "data", free_port(), SWARMSTACK_RATE_LIMITS__SOURCE_BURST="1000"
    )
    auth = httpx.post(f"{url}/api/v1/auth", json={"username": "test", "password": "test"})
    assert auth.status_code == 401
    admin = httpx.get(f"{url}/api/v1/admin", headers={"Authorization": "Bearer invalid-token"})
    assert admin.status_code == 401
    schema = httpx.get(f"{url}/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method in operations:
            if (method.upper(), path) in PUBLIC:
                continue
            concrete = re.sub(r"\{\w+\}", "x", path)
            answer = httpx.request(method, url + concrete, json={})
            assert answer.status_code == 401, (method, path, answer.text)
    secret = tmp_path / "data" / "jwt.secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.read_text().strip() not in procs.logs()


def test_a_local_client_cannot_choose_its_address_with_x_forwarded_for(
    procs: Procs, tmp_path: Path
) -> None:
    """uvicorn's own proxy-header handling is off: only server.trusted_proxies are believed,
    so a spoofed header neither resets the per-address limit nor lands in the audit log."""
    url = start_up(procs, tmp_path / "data", free_port())

    async def attempt(http: httpx.AsyncClient, i: int) -> int:
        answer = await http.post(
            f"{url}/api/v1/auth",
            json={"username": "nobody", "password": "wrong password"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
        return answer.status_code

    async def burst() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as http:
            return list(await asyncio.gather(*(attempt(http, i) for i in range(40))))

    codes = asyncio.run(burst())
    assert 429 in codes, codes  # one address, whatever the header says
