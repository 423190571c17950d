"""Node ids fit the store's columns whatever the host name."""

from __future__ import annotations

import pytest

from swarmstack.core.ids import MAX_NODE_ID, new_worker_id, node_id


@pytest.mark.parametrize("host", ["h", "a" * 63, "a." * 126 + "a"])
def test_worker_and_manager_ids_fit_their_column(host: str) -> None:
    worker = new_worker_id(host, 4_194_304)
    manager = node_id(host, 4_194_304)
    assert len(worker) <= MAX_NODE_ID
    assert len(manager) <= MAX_NODE_ID
    assert worker.startswith(host[:20])
    assert manager.endswith("-4194304")


def test_two_workers_on_one_long_host_get_different_ids() -> None:
    host = "x" * 253
    assert new_worker_id(host, 1) != new_worker_id(host, 1)
