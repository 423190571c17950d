"""Submit N no-op tasks to Celery, then fetch every result; prints the timing as JSON."""

from __future__ import annotations

import json
import sys
import time

from bench.celery_app import noop


def main() -> None:
    count = int(sys.argv[1])
    noop.delay({"warm": True}).get(timeout=60)
    started = time.perf_counter()
    pending = [noop.delay({"n": i}) for i in range(count)]
    submitted = time.perf_counter()
    results = [p.get(timeout=600) for p in pending]
    done = time.perf_counter()
    assert [r["n"] for r in results] == list(range(count))
    print(json.dumps({"tasks": count, "submit_s": submitted - started, "total_s": done - started}))


if __name__ == "__main__":
    main()
