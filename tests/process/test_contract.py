"""A property-based run over /openapi.json (schemathesis) against a real `swarmstack up`:
no 5xx, responses match the documented schemas, status codes and headers, and every path
answers a method it does not serve with 405 and the full `Allow` list. Bounded examples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.process.conftest import Procs

pytestmark = pytest.mark.process
KEY = "ssk_contract_test_key_0123456789"


# A deploy's body is a swarm spec: its cross-field rules (a flow names existing agents, canary
# weights never decrease, ...) are beyond JSON Schema, so a schema-valid spec may rightly get 422.
# Likewise a new key or user with role admin and a tenant (an admin cannot have one).
# Every other check still runs on those operations, and every check on every other one.
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "unsupported_method",
    "positive_data_acceptance",
)
CONFIG = "\n".join(
    [
        "[checks]",
        "enabled = false",
        *(f"{name}.enabled = true" for name in CHECKS),
        "",
        "[[operations]]",
        'include-name = "POST /api/v1/deployments"',
        "checks.positive_data_acceptance.enabled = false",
        "",
        "[[operations]]",
        'include-name = "POST /api/v1/admin/keys"',
        "checks.positive_data_acceptance.enabled = false",
        "",
        "[[operations]]",
        'include-name = "POST /api/v1/admin/users"',
        "checks.positive_data_acceptance.enabled = false",
    ]
)


def test_the_api_keeps_its_openapi_contract(procs: Procs, tmp_path: Path) -> None:
    url = procs.up(key=KEY)
    st = Path(sys.executable).with_name("st")
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    done = subprocess.run(
        [
            str(st),
            "--config-file",
            str(config),
            "run",
            f"{url}/openapi.json",
            "--header",
            f"Authorization: Bearer {KEY}",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "20",
            "--seed",
            "1",
            "--request-timeout",
            "20",
            "--generation-database",
            "none",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "test cases:" in done.stdout.lower() and "❌" not in done.stdout
