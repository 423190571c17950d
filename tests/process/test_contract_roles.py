"""A property-based run over /openapi.json with each role's key: no 5xx, and no 2xx where the
role lacks the operation's permission (tests/support/role_checks.py). Bounded examples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.process.conftest import Procs, wait_ready
from tests.support.net import free_port

pytestmark = pytest.mark.process
ADMIN = "ssk_contract_roles_admin_key_0123"
ROLES = ("operator", "submitter", "viewer")
CONFIG = """[checks]
enabled = false
not_a_server_error.enabled = true
role_is_respected.enabled = true
"""


def test_no_role_gets_past_its_permissions(procs: Procs, tmp_path: Path) -> None:
    port = free_port()
    procs.start("up", "--port", str(port), "--data-dir", str(tmp_path / "data"), name="up",
                env={"SWARMSTACK_SECURITY__ADMIN_KEY": ADMIN})  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    admin = {"Authorization": f"Bearer {ADMIN}"}
    for role in ROLES:
        made = httpx.post(f"{url}/api/v1/admin/keys", headers=admin,
                          json={"name": f"{role}-fuzz", "role": role})  # fmt: skip
        key = made.json()["key"]
        done = _schemathesis(url, key, role, config, tmp_path)
        assert done.returncode == 0, role + "\n" + done.stdout[-6000:] + done.stderr[-2000:]


def _schemathesis(
    url: str, key: str, role: str, config: Path, cwd: Path
) -> subprocess.CompletedProcess[str]:
    st = Path(sys.executable).with_name("st")
    env = {
        **os.environ, "COLUMNS": "200", "SWARMSTACK_TEST_ROLE": role,
        "SCHEMATHESIS_HOOKS": "tests.support.role_checks",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }  # fmt: skip
    return subprocess.run(
        [str(st), "--config-file", str(config), "run", f"{url}/openapi.json",
         "--header", f"Authorization: Bearer {key}", "--phases", "examples,coverage,fuzzing",
         "--max-examples", "8", "--seed", "1", "--request-timeout", "20",
         "--generation-database", "none", "--no-color"],
        capture_output=True, text=True, timeout=300, cwd=cwd, env=env,
    )  # fmt: skip
