"""`swarmstack status`: managers, workers and queue depth of a running deployment."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.table import Table

from swarmstack.cli.output import console, row, table
from swarmstack.cli.tasks import DEFAULT_URL, Json, Key, Url, client_for


def status(url: Url = DEFAULT_URL, api_key: Key = None, as_json: Json = False) -> None:
    """Show managers (and the leader), workers with their in-flight tasks, and queue depth."""
    info = client_for(url, api_key).cluster()
    if as_json:
        sys.stdout.write(json.dumps(info) + "\n")
        return
    console.print(_managers(info["managers"]))
    console.print(_workers(info))
    console.print(_queue(info["queue_depth"]))


def _managers(rows: list[dict[str, Any]]) -> Table:
    found = table("manager", "host", "pid", "leader", "last seen", title="managers")
    for m in rows:
        leader = "leader" if m["leader"] else ""
        row(found, m["id"], m["host"], m["pid"], leader, f"{m['last_seen_s']:.1f}s ago")
    return found


def _workers(info: dict[str, Any]) -> Table:
    rows = info["workers"]
    expected = info.get("expected_workers")
    title = f"workers: {len(rows)}" + (f" of {expected} expected" if expected else "")
    if expected and len(rows) < expected:
        title = f"[bold yellow]{title}[/]"
    found = table("worker", "swarms", "versions", "in flight", "last seen", title=title)
    for w in rows:
        seen = f"{w['last_seen_s']:.1f}s ago"
        versions = ", ".join(w.get("versions", []))  # a manager before 0.1 does not send them
        row(found, w["id"], ", ".join(w["swarms"]), versions, w["in_flight"], seen)
    return found


def _queue(depth: dict[str, int]) -> Table:
    found = table("swarm", "queued", title="queue")
    for swarm, count in depth.items():
        row(found, swarm, count)
    return found
