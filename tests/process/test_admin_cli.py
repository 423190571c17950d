"""`swarmstack users|keys|audit` against `swarmstack up`, as an admin runs them."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import httpx
import pytest

from tests.process.conftest import Procs
from tests.process.test_security_up import cli, start_up
from tests.process.test_up import banner_of
from tests.support.net import free_port

pytestmark = pytest.mark.process


def test_an_admin_runs_users_keys_and_audit_from_the_cli(procs: Procs, tmp_path: Path) -> None:
    port = free_port()
    url = start_up(procs, tmp_path / "data", port)
    admin = re.search(r"ssk_[\w-]+", banner_of(procs, r"ssk_[\w-]+"))
    assert admin is not None
    key = admin.group()
    added = cli("users", "add", "alice", "--role", "operator", "--password-stdin",
                key=key, url=url, stdin="a long password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    tokens = httpx.post(
        f"{url}/api/v1/auth", json={"username": "alice", "password": "a long password"}
    )
    assert tokens.status_code == 200
    access = tokens.json()["access_token"]
    made = cli("keys", "create", "--role", "viewer", "--name", "dash", "--expires", "7d",
               key=key, url=url)  # fmt: skip
    assert made.returncode == 0, made.stderr
    viewer = made.stdout.strip()
    assert viewer.startswith("ssk_") and "shown once" in made.stderr
    listed = cli("keys", "list", "--json", key=key, url=url)
    assert viewer not in listed.stdout and "dash" in listed.stdout
    status = cli("status", key=viewer, url=url)
    assert status.returncode == 0, status.stderr
    denied = cli("keys", "list", key=viewer, url=url)
    assert denied.returncode == 1 and "403" in denied.stderr
    key_id = next(k["id"] for k in json.loads(listed.stdout) if k["name"] == "dash")
    assert cli("keys", "revoke", key_id, key=key, url=url).returncode == 0
    assert cli("status", key=viewer, url=url).returncode == 1
    users = cli("users", "list", "--json", key=access, url=url)  # an operator is no admin
    assert users.returncode == 1 and "403" in users.stderr
    audit = cli("audit", "list", "--json", key=key, url=url)
    actions = [e["action"] for e in json.loads(audit.stdout)["items"]]
    assert {"user.add", "auth.sign-in", "key.create", "key.revoke"} <= set(actions)
    reset = cli("users", "password", "alice", "--password-stdin", key=key, url=url,
                stdin="another long password\r\n")  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    assert (
        httpx.get(
            f"{url}/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"}
        ).status_code
        == 401
    )
    again = httpx.post(
        f"{url}/api/v1/auth", json={"username": "alice", "password": "another long password"}
    )
    assert again.status_code == 200
    access = again.json()["access_token"]
    verify = cli("audit", "verify", "--json", key=key, url=url)
    verdict = json.loads(verify.stdout)
    assert verify.returncode == 0 and verdict["ok"]
    tampered = cli("audit", "verify", "--expect-head", "0" * 64, key=key, url=url)
    assert tampered.returncode == 1 and "deleted" in tampered.stdout
    # a restart keeps the token secret: alice's access token still works
    procs.started[0].send_signal(signal.SIGTERM)
    procs.started[0].wait(timeout=30)
    start_up(procs, tmp_path / "data", port)
    me = httpx.get(f"{url}/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200 and me.json()["name"] == "alice"
