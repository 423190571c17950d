"""The batch benchmark runs end to end (small): a manager takes batches, a worker drains them."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.batch import run_batch

pytestmark = pytest.mark.process


def test_the_batch_scenario_measures_accept_and_drain(tmp_path: Path) -> None:
    found = run_batch(tmp_path, quick=True)
    assert found["tasks"] == 8000  # every batch answered with "refused":0
    assert found["drained"] == 9000  # and the warm-up batch: every task ran
    assert found["accepted_tasks_per_s"] > 0 and found["drain_tasks_per_s"] > 0
