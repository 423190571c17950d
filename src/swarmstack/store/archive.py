"""The retention archive: pruned tasks, with their attempts and events, as gzip JSON Lines.

Called by `store.pruner` before it deletes a batch. One file per batch under one directory per
day (`<dir>/2026-12-01/tasks-<time>-<first id>.jsonl.gz`), each line one task as stored
(`{"task": {...}, "attempts": [...], "events": [...]}`; JSON columns stay the text they are
stored as). The file is written under a temporary name, fsynced, renamed and its directory
fsynced, so a batch is deleted only once its file is safely on disk; a crash in between leaves
at most a `.tmp` file and the rows still stored (the next round archives them again).
"""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def write_batch(folder: Path, batch: Sequence[dict[str, Any]], now: float) -> Path:
    """Write `batch` (one dict per task) durably; the file's path."""
    day = folder / time.strftime("%Y-%m-%d", time.gmtime(now))
    day.mkdir(parents=True, exist_ok=True)
    first = str(batch[0]["task"]["id"]) if batch else "empty"
    stamp = time.strftime("%H%M%S", time.gmtime(now))
    path = day / f"tasks-{stamp}-{int(now * 1000) % 1000:03d}-{first}.jsonl.gz"
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=int(now)) as out:
            for item in batch:
                out.write(json.dumps(item, ensure_ascii=False, sort_keys=True).encode() + b"\n")
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, path)
    _fsync_dir(day)
    return path


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_archive(path: Path) -> list[dict[str, Any]]:
    """The tasks of one archive file (for tests and restores)."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
