"""Process wiring: what a worker process does to its heap once it has started."""

from __future__ import annotations

import subprocess
import sys

SETTLE = """
import gc
from swarmstack.cli.node import GC_YOUNG, settle_heap

older = gc.get_threshold()[1:]
settle_heap()
assert gc.get_freeze_count() > 1000, gc.get_freeze_count()  # start-up's objects, exempted
assert gc.get_threshold() == (GC_YOUNG, *older)
"""


def test_a_started_worker_exempts_its_start_up_from_collections() -> None:
    # in a process of its own: freezing and thresholds are global to the process
    subprocess.run([sys.executable, "-c", SETTLE], check=True, timeout=60)
