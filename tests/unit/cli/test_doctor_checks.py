"""doctor's checks against real services: PostgreSQL and Redis on 127.0.0.1, the bundled fake
LLM server, and ports where nothing listens."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from swarmstack.cli import doctor_checks as checks
from swarmstack.settings import Settings, load_layers
from swarmstack.spec import load_spec
from tests.conftest import PG_ADMIN, REPO
from tests.process.conftest import wait_ready
from tests.support.net import free_port


def settings(**values: object) -> Settings:
    return load_layers(overrides=values, environ={}).settings


def test_versions_name_swarmstack_python_and_the_dependencies() -> None:
    rows = {r.name: r for r in checks.versions()}
    assert rows["swarmstack"].status == "ok"
    assert rows["python"].data["version"].startswith("3.")
    assert rows["dependencies"].status == "ok"
    assert rows["dependencies"].data["fastapi"] == "0.165.0"


async def test_a_missing_sqlite_store_warns_and_an_existing_one_is_ok(tmp_path: Path) -> None:
    missing = await checks.store(settings(data_dir=tmp_path / "none"))
    assert (missing.status, missing.data["backend"]) == ("warn", "sqlite")
    assert "swarmstack up" in missing.hint
    (tmp_path / "swarmstack.db").write_bytes(b"")
    assert (await checks.store(settings(data_dir=tmp_path))).status == "ok"


async def test_postgresql_reports_its_version_and_masks_the_password() -> None:
    url = PG_ADMIN.replace("postgresql://", "postgresql+asyncpg://")
    found = await checks.store(settings(store={"url": url}))
    assert found.status == "ok", found.detail
    assert found.data["version"][0].isdigit()
    down = f"postgresql+asyncpg://u:secret-pw@127.0.0.1:{free_port()}/x"
    failed = await checks.store(settings(store={"url": down}))
    assert failed.status == "fail" and failed.hint
    assert "secret-pw" not in failed.detail + str(failed.data)


async def test_redis_when_configured_and_when_down() -> None:
    assert (await checks.redis(settings())).detail == "not configured (optional)"
    found = await checks.redis(settings(redis={"url": "redis://127.0.0.1:6379/0"}))
    assert found.status == "ok" and found.data["version"][0].isdigit()
    down = await checks.redis(settings(redis={"url": f"redis://:pw@127.0.0.1:{free_port()}/0"}))
    assert down.status == "fail" and ":pw@" not in down.detail


@pytest.fixture
def fake_llm() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "swarmstack.testing.fake_llm", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # printed once it is about to serve
    wait_ready(f"http://127.0.0.1:{port}", path="/v1/models")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.communicate(timeout=10)  # closes its stdout pipe


async def test_each_llm_endpoint_is_reached_once(fake_llm: str) -> None:
    spec = load_spec(REPO / "examples/research/swarm.yaml", {"OPENAI_BASE_URL": fake_llm + "/v1"})
    down = load_spec(
        REPO / "examples/research/router.yaml",
        {"OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"},
    )
    rows = await checks.llm_endpoints([spec, spec, down])
    assert sorted(r.status for r in rows) == ["fail", "ok"]
    assert all(r.name.startswith("llm http://127.0.0.1:") for r in rows)


def test_resources_count_cpus_memory_and_free_disk(tmp_path: Path) -> None:
    rows = {r.name: r for r in checks.resources(tmp_path / "not" / "yet")}
    assert rows["cpus"].data["count"] >= 1
    assert rows["memory"].data["available_bytes"] <= rows["memory"].data["total_bytes"]
    assert rows["disk"].data["path"] == str(tmp_path.resolve())
    assert rows["disk"].data["free_bytes"] > 0


async def test_a_postgresql_that_refuses_says_what_to_fix_not_to_start_it() -> None:
    """A wrong user or database used to be hinted "start PostgreSQL", behind SQLAlchemy's
    exception class name."""
    base = PG_ADMIN.replace("postgresql://", "postgresql+asyncpg://")
    no_user = await checks.store(
        settings(store={"url": "postgresql+asyncpg://nobody_here:pw@127.0.0.1:5432/postgres"})
    )
    assert no_user.status == "fail" and "fix the user" in no_user.hint, no_user.hint
    assert 'role "nobody_here" does not exist' in no_user.detail
    assert "sqlalchemy" not in no_user.detail
    no_db = await checks.store(settings(store={"url": base.rsplit("/", 1)[0] + "/no_such_db_x"}))
    assert no_db.status == "fail" and "createdb" in no_db.hint, no_db.hint
    down = await checks.store(
        settings(store={"url": f"postgresql+asyncpg://u@127.0.0.1:{free_port()}/x"})
    )
    assert "start PostgreSQL" in down.hint
