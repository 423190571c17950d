"""The Celery peer of the scale-out benchmark: a no-op task on the Redis broker and backend.

Runs only inside bench/.venv-celery (created by bench/run.py); Celery is not a dependency of
swarmstack.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

BROKER = os.environ.get("BENCH_CELERY_REDIS", "redis://127.0.0.1:6379/14")
app = Celery("bench", broker=BROKER, backend=BROKER)
app.conf.update(task_ignore_result=False, worker_prefetch_multiplier=64, result_expires=600)


@app.task(name="noop")
def noop(data: Any) -> Any:
    """Return the input, like swarmstack's bench.agents:noop."""
    return data
