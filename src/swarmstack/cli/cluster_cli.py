"""`swarmstack status`: managers, workers and queue depth of a running deployment."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from swarmstack.cli.output import console
from swarmstack.cli.tasks import DEFAULT_URL, Key, Url, client_for


def status(url: Url = DEFAULT_URL, api_key: Key = None) -> None:
    """Show managers (and the leader), workers with their in-flight tasks, and queue depth."""
    info = client_for(url, api_key).cluster()
    console.print(_managers(info["managers"]))
    console.print(_workers(info))
    console.print(_queue(info["queue_depth"]))


def _managers(rows: list[dict[str, Any]]) -> Table:
    table = Table("manager", "host", "pid", "leader", "last seen", title="managers")
    for m in rows:
        leader = "[bold green]leader[/]" if m["leader"] else ""
        table.add_row(m["id"], m["host"], str(m["pid"]), leader, f"{m['last_seen_s']:.1f}s ago")
    return table


def _workers(info: dict[str, Any]) -> Table:
    rows = info["workers"]
    expected = info.get("expected_workers")
    title = f"workers: {len(rows)}" + (f" of {expected} expected" if expected else "")
    if expected and len(rows) < expected:
        title = f"[bold yellow]{title}[/]"
    table = Table("worker", "swarms", "in flight", "last seen", title=title)
    for w in rows:
        seen = f"{w['last_seen_s']:.1f}s ago"
        table.add_row(w["id"], ", ".join(w["swarms"]), str(w["in_flight"]), seen)
    return table


def _queue(depth: dict[str, int]) -> Table:
    table = Table("swarm", "queued", title="queue")
    for swarm, count in depth.items():
        table.add_row(swarm, str(count))
    return table
