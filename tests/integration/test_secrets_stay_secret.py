"""Secrets never appear in logs, reprs, `config show`, metrics, the store or rendered files:
a whole session (start, sign-in, key creation, a task, a reload) is run with every secret set,
and everything it left behind is searched for each secret."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from swarmstack.cli.main import app as cli
from swarmstack.metrics import Metrics
from swarmstack.node import build_node
from swarmstack.render import render_files
from swarmstack.settings import Settings, load_layers
from tests.conftest import SpecFactory
from tests.support.keys import OTHER_KEY, TEST_KEY

ADMIN = "ssk_secret_admin_key_never_shown_0001"
JWT = "jwt-secret-never-shown-0123456789abcdef"
PASSWORD = "password-never-shown-42"


def stored_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("swarmstack.db*")))


async def test_no_secret_leaves_a_trace(
    tmp_path: Path, make_spec: SpecFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    environ = {
        "SWARMSTACK_SECURITY__ADMIN_KEY": ADMIN,
        "SWARM_JWT_SECRET": JWT,
        "SWARM_ENCRYPTION_KEY": TEST_KEY,
    }
    settings = load_layers(None, None, environ=environ).settings.model_copy(
        update={"data_dir": tmp_path}
    )
    node = await build_node([make_spec("echo")], settings, metrics=Metrics())
    await node.start_manager()
    await node.start_worker()
    created_key = ""
    transport = httpx.ASGITransport(app=node.app(manage_lifecycle=False))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://m", headers={"Authorization": f"Bearer {ADMIN}"}
    ) as http:
        await http.post(
            "/api/v1/admin/users", json={"username": "u", "password": PASSWORD, "role": "viewer"}
        )
        await http.post("/api/v1/auth", json={"username": "u", "password": PASSWORD})
        await http.post("/api/v1/auth", json={"username": "u", "password": PASSWORD + "x"})
        made = await http.post("/api/v1/admin/keys", json={"name": "ci", "role": "submitter"})
        created_key = made.json()["key"]
        await http.post(
            "/api/v1/tasks?wait=5",
            json={"input": "x"},
            headers={"Authorization": f"Bearer {created_key}"},
        )
        await http.get("/api/v1/tasks", headers={"Authorization": "Bearer ssk_wrong_key_attempt"})
        metrics = (await http.get("/metrics")).text
        audit = (await http.get("/api/v1/admin/audit", params={"limit": 1000})).text
        openapi = (await http.get("/openapi.json")).text
    await node.reload(settings)
    await node.stop()
    shown = CliRunner().invoke(cli, ["config", "show"], env={**environ, "COLUMNS": "300"}).output
    rendered = "\n".join(render_files([make_spec("echo")]).values())
    places = {
        "logs": caplog.text,
        "repr": repr(settings) + str(settings) + repr(settings.security),
        "config show": shown,
        "metrics": metrics,
        "audit log": audit,
        "openapi": openapi,
        "store": stored_bytes(tmp_path).decode("latin-1"),
        "rendered": rendered,
    }
    secrets = {
        "admin key": ADMIN,
        "jwt secret": JWT,
        "password": PASSWORD,
        "new key": created_key,
        "encryption key": TEST_KEY,
    }
    leaks = [
        f"{what} in {where}"
        for where, text in places.items()
        for what, secret in secrets.items()
        if secret in text
    ]
    assert leaks == []
    assert "ci" in audit and "sign-in" in audit  # the searched places did see the session


def test_settings_repr_masks_every_secret_field() -> None:
    settings = Settings(
        security={  # type: ignore[arg-type]
            "admin_key": ADMIN,
            "jwt_secret": JWT,
            "jwt_previous_secrets": [JWT + "old"],
            "encryption_key": TEST_KEY,
            "encryption_previous_keys": [OTHER_KEY],
        },
        store={"url": "postgresql+asyncpg://u:dbpassword@h/d"},  # type: ignore[arg-type]
    )
    text = repr(settings) + settings.model_dump_json()
    assert ADMIN not in text and JWT not in text and "dbpassword" not in text
    assert TEST_KEY not in text and OTHER_KEY not in text
