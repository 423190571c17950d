"""Client commands: submit, and tasks list|show|cancel against a running manager."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from swarmstack.cli.output import HELP, console, escape, task_table
from swarmstack.client import SwarmClient
from swarmstack.errors import InvalidInput
from swarmstack.settings import load_settings

app = typer.Typer(help="List, show and cancel tasks.", no_args_is_help=True, context_settings=HELP)

Url = Annotated[
    str, typer.Option(envvar=["SWARMSTACK_URL", "SWARM_MANAGER_URL"], help="Manager URL.")
]
Key = Annotated[str | None, typer.Option(envvar="SWARMSTACK_API_KEY", help="API key.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
DEFAULT_URL = "http://127.0.0.1:8080"


def client_for(url: str, key: str | None) -> SwarmClient:
    if url == DEFAULT_URL:
        url = load_settings().cluster.manager_url or url  # config.toml [swarm] manager_url
    if "://" not in url:
        url = f"http://{url}"
    return SwarmClient(url, key)


def _parse_input(text: str) -> Any:
    """JSON when DATA parses as JSON (strict: no NaN or Infinity), else the text itself."""
    try:
        return json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError:
        return text


def _not_json(name: str) -> Any:
    raise InvalidInput(
        f"argument DATA holds {name}, which JSON cannot carry",
        fix=f'use null or a number instead, or quote it as a string: "{name}"',
    )


def submit(
    swarm: Annotated[str, typer.Argument(help="Swarm name.")],
    data: Annotated[str, typer.Argument(help="Input: JSON, or plain text.")],
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the outcome.")] = False,
    wait_s: Annotated[float, typer.Option(help="Longest wait.")] = 60.0,
    priority: Annotated[str | None, typer.Option(help="low | normal | high.")] = None,
    session: Annotated[
        str | None, typer.Option(help="Session (conversation) the task joins; it routes too.")
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="Run on this version of the swarm (a preview).")
    ] = None,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
) -> None:
    """Submit a task to SWARM (input: JSON or text); prints the task as JSON.

    With --wait: exit 0 if it succeeded, 1 if it failed, 3 if it is still queued or running."""
    client = client_for(url, api_key)
    task = client.submit(
        swarm,
        _parse_input(data),
        priority=priority,
        wait_s=wait_s if wait else 0,
        session=session,
        version=version,
    )
    console.print_json(json.dumps(task))
    if wait and task["status"] not in ("succeeded",):
        raise typer.Exit(1 if task["status"] not in ("queued", "running") else 3)


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="Filter by status.")] = None,
    swarm: Annotated[str | None, typer.Option(help="Filter by swarm.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Newest tasks first (full ids; --json for the API's page as is)."""
    page = client_for(url, api_key).list(status=status, swarm=swarm, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps(page) + "\n")
        return
    console.print(task_table(page["items"]))


@app.command()
def show(
    task_id: Annotated[str, typer.Argument(help="Task id.")],
    url: Url = DEFAULT_URL,
    api_key: Key = None,
) -> None:
    """One task as JSON (exit 1 if there is no such task)."""
    console.print_json(json.dumps(client_for(url, api_key).get(task_id)))


@app.command()
def cancel(
    task_id: Annotated[str, typer.Argument(help="Task id.")],
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Cancel a queued or running task (exit 1 if it had already finished)."""
    task = client_for(url, api_key).cancel(task_id)
    if as_json:
        sys.stdout.write(json.dumps(task) + "\n")
        return
    console.print(escape(f"{task['id']}: {task['status']}"), highlight=False)


__all__ = ["app", "submit"]
