"""doctor's end-to-end run: a real short-lived `swarmstack up` of the triage example."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from swarmstack.cli.doctor_smoke import _env, smoke
from tests.conftest import REPO


def test_without_the_example_it_warns_and_says_why(tmp_path: Path) -> None:
    found = smoke(tmp_path / "missing.yaml")
    assert found.status == "warn" and "skipped" in found.detail and found.hint


def test_the_child_gets_no_store_or_port_of_the_deployment_examined(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    monkeypatch.setenv("SWARMSTACK_SERVER__PORT", "9999")
    env = _env("ssk_k")
    assert "DATABASE_URL" not in env and "SWARMSTACK_SERVER__PORT" not in env
    assert env["SWARMSTACK_SECURITY__ADMIN_KEY"] == "ssk_k"


@pytest.mark.process
def test_the_example_runs_end_to_end_and_is_timed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    found = smoke()
    assert found.status == "ok", found.detail + str(found.data)
    assert found.data["task_status"] == "succeeded"
    assert found.data["result"]["orders"] == ["12345"]
    assert 0 < found.data["submit_to_result_s"] < found.data["start_to_ready_s"] + 30
    assert "temporary SQLite store" in found.detail
    assert os.getcwd() == str(REPO)
