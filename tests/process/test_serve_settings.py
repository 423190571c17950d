"""`swarmstack serve` as containers run it: specs from SWARMSTACK_SPEC_DIR, TLS from SWARM_TLS_*."""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import spec_text
from tests.process.conftest import Procs
from tests.support.keys import TEST_KEY
from tests.support.net import free_port
from tests.support.tls import self_signed

pytestmark = pytest.mark.process
KEY = "ssk_serve_settings_key"


def test_manager_and_worker_from_a_spec_dir_over_tls(procs: Procs, tmp_path: Path) -> None:
    specs = tmp_path / "config"
    specs.mkdir()
    (specs / "echo.yaml").write_text(spec_text("echo", "tests.support.agents:echo"))
    (specs / "napper.yaml").write_text(spec_text("napper", "tests.support.agents:nap"))
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {
        "SWARMSTACK_SPEC_DIR": str(specs),
        "SWARMSTACK_STORE__URL": f"sqlite+aiosqlite:///{tmp_path / 'store.db'}",
        "SWARMSTACK_ADMIN_KEY": KEY,
        "SWARM_ENCRYPTION_KEY": TEST_KEY,
    }
    tls = {"SWARM_TLS_CERT": str(cert), "SWARM_TLS_KEY": str(key)}
    procs.start("serve", "--port", str(port), env={**env, **tls, "SWARM_MODE": "manager"})
    procs.start(
        "serve", "--no-http", env={**env, "SWARM_MODE": "worker", "SWARMSTACK_SWARM": "echo"}
    )
    url = f"https://127.0.0.1:{port}"
    with httpx.Client(
        base_url=url, verify=ssl.create_default_context(cafile=str(cert)), timeout=30
    ) as http:
        wait_ready_tls(http)
        headers = {"Authorization": f"Bearer {KEY}"}
        done = http.post(
            "/api/v1/tasks",
            params={"wait": 20},
            headers=headers,
            json={"swarm": "echo", "input": {"x": 1}},
        )
        assert done.status_code == 200, done.text
        assert done.json()["result"] == {"x": 1}
        waiting = http.post(
            "/api/v1/tasks",
            params={"wait": 1},
            headers=headers,
            json={"swarm": "napper", "input": {"s": 0}},
        )
        assert waiting.json()["status"] == "queued", "the echo-only worker must not run napper"
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


def wait_ready_tls(http: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if http.get("/ready").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("manager over TLS never became ready")


def test_a_missing_tls_file_fails_fast(procs: Procs, tmp_path: Path) -> None:
    spec = tmp_path / "echo.yaml"
    spec.write_text(spec_text("echo", "tests.support.agents:echo"))
    proc = procs.start(
        "serve",
        str(spec),
        "--port",
        str(free_port()),
        env={
            "SWARMSTACK_STORE__URL": f"sqlite+aiosqlite:///{tmp_path / 'store.db'}",
            "SWARM_TLS_CERT": str(tmp_path / "nope.crt"),
            "SWARM_TLS_KEY": str(tmp_path / "nope.key"),
            "SWARM_ENCRYPTION_KEY": TEST_KEY,
        },
    )
    assert proc.wait(timeout=30) == 1
    assert "nope.crt is not a readable file" in procs.logs()
    assert "Traceback" not in procs.logs()
