"""Node.reload applies live settings at once and names the ones that wait for a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmstack.core.ids import new_task_id
from swarmstack.core.records import NewTask
from swarmstack.errors import SettingsError
from swarmstack.metrics import Metrics
from swarmstack.node import build_node
from swarmstack.security.crypto import key_id, parse_key
from swarmstack.settings import Settings
from tests.conftest import SpecFactory
from tests.support.keys import OTHER_KEY, TEST_KEY


async def test_reload_applies_live_settings_and_names_the_rest(
    tmp_path: Path, make_spec: SpecFactory
) -> None:
    keys = {"encryption_key": TEST_KEY}
    before = Settings(data_dir=tmp_path, security=keys)  # type: ignore[arg-type]
    node = await build_node([make_spec("s")], before, metrics=Metrics())
    after = Settings(
        data_dir=tmp_path,
        worker={"batch_size": 7, "poll_interval": 0.5},  # type: ignore[arg-type]
        server={"port": 9999, "max_wait": 5},  # type: ignore[arg-type]
        log_level="warning",
        security=keys,  # type: ignore[arg-type]
    )
    restart = await node.reload(after)
    assert restart == ["server.port"]
    assert node.worker is not None and node.manager is not None
    assert node.worker.settings.batch_size == 7
    assert node.worker._outcomes._max_size == 7  # the outcome batcher took it at once
    assert node.manager.settings.server.max_wait == 5
    audit = await node.store.audit.page(action="settings.reload")
    assert audit[0].principal == "system:sighup" and "server.port" in audit[0].detail["changed"]
    await node.stop()


async def test_reload_changes_the_data_keys_only_to_keys_that_open_the_store(
    tmp_path: Path, make_spec: SpecFactory
) -> None:
    before = Settings(data_dir=tmp_path, security={"encryption_key": TEST_KEY})  # type: ignore[arg-type]
    node = await build_node([make_spec("s")], before, metrics=Metrics())
    try:
        await node.store.tasks.submit_many(
            [NewTask(new_task_id(), "s", {"a": 1}, 5, 1, 30.0, "t", 1.0)]
        )
        rotated = {"encryption_key": OTHER_KEY, "encryption_previous_keys": [TEST_KEY]}
        assert await node.reload(Settings(data_dir=tmp_path, security=rotated)) == []  # type: ignore[arg-type]
        kids = node.store.keyring.kids
        assert kids == (key_id(parse_key(OTHER_KEY, "t")), key_id(parse_key(TEST_KEY, "t")))
        lost = Settings(data_dir=tmp_path, security={"encryption_key": OTHER_KEY})  # type: ignore[arg-type]
        with pytest.raises(SettingsError, match="missing or wrong encryption key"):
            await node.reload(lost)
        assert node.store.keyring.kids == kids
    finally:
        await node.stop()
