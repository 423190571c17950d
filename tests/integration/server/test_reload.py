"""Node.reload applies live settings at once and names the ones that wait for a restart."""

from __future__ import annotations

from pathlib import Path

from swarmstack.metrics import Metrics
from swarmstack.node import build_node
from swarmstack.settings import Settings
from tests.conftest import SpecFactory
from tests.support.keys import TEST_KEY


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
    await node.stop()
