"""Node.reload applies live settings at once and names the ones that wait for a restart."""

from __future__ import annotations

from pathlib import Path

from swarmstack.metrics import Metrics
from swarmstack.node import build_node
from swarmstack.settings import Settings
from tests.conftest import SpecFactory


async def test_reload_applies_live_settings_and_names_the_rest(
    tmp_path: Path, make_spec: SpecFactory
) -> None:
    before = Settings(data_dir=tmp_path)
    node = await build_node([make_spec("s")], before, metrics=Metrics())
    after = Settings(
        data_dir=tmp_path,
        worker={"batch_size": 7, "poll_interval": 0.5},  # type: ignore[arg-type]
        server={"port": 9999, "max_wait": 5},  # type: ignore[arg-type]
        log_level="warning",
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
