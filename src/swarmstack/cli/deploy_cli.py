"""Client commands for versions: deploy, deployments list|show|diff, rollout status|promote|
abort|pause|resume|retry, rollback. Each talks to a running manager (SWARMSTACK_URL,
SWARMSTACK_API_KEY) and has --json for scripts.

Exit codes: 0 done (or, with --wait/--watch, the rollout finished healthy); 1 the rollout was
aborted or a request failed; 3 the rollout is paused and needs a human (promote or abort).
"""

from __future__ import annotations

import difflib
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from swarmstack.cli.output import HELP, console, escape
from swarmstack.cli.tasks import DEFAULT_URL, Json, Key, Url, client_for
from swarmstack.client import SwarmClient
from swarmstack.errors import NotFound
from swarmstack.spec import load_spec

deployments_app = typer.Typer(
    help="List, show and compare deployed versions.", no_args_is_help=True, context_settings=HELP
)
rollout_app = typer.Typer(
    help="See and steer a swarm's rollout.", no_args_is_help=True, context_settings=HELP
)
Strategy = Annotated[
    str | None,
    typer.Option(help="Override the spec's strategy: canary | blue-green | all-at-once."),
]
EXIT_ABORTED, EXIT_PAUSED = 1, 3


def deploy(
    spec_file: Annotated[Path, typer.Argument(help="The swarm spec (YAML).")],
    strategy: Strategy = None,
    message: Annotated[str, typer.Option("--message", "-m", help="Why (kept in history).")] = "",
    code_version: Annotated[
        str | None,
        typer.Option(help="The code this version needs (image tag); default: deploy.code_version."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the rollout until it ends or pauses.")
    ] = False,
    as_json: Json = False,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
) -> None:
    """Deploy SPEC_FILE as a new version (identical content: nothing changes) and start its
    rollout. `${VAR}` is expanded here; `${secret:NAME}` stays a reference for the workers."""
    if strategy not in (None, "canary", "blue-green", "all-at-once"):
        raise typer.BadParameter(
            f"{strategy!r} is not a strategy; use canary, blue-green or all-at-once",
            param_hint="--strategy",
        )
    spec = load_spec(spec_file)
    client = client_for(url, api_key)
    answer = client.deploy(
        spec.model_dump(mode="json"),
        strategy=strategy,
        message=message,
        code_version=code_version or spec.deploy.code_version,
    )
    if as_json and not wait:
        console.print_json(json.dumps(answer))
        return
    version = answer["deployment"]["version"]
    verb = "deployed" if answer["created"] else "already deployed (identical content)"
    console.print(f"{escape(spec.name)} version {escape(version)} {verb}")
    if wait:
        raise typer.Exit(_follow(client, spec.name, as_json))
    console.print(rollout_view(answer["rollout"]))


@deployments_app.command("list")
def list_(
    swarm: Annotated[str | None, typer.Option(help="Only this swarm.")] = None,
    limit: Annotated[int, typer.Option(help="Most versions to show.")] = 50,
    as_json: Json = False,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
) -> None:
    """Deployed versions, newest first."""
    found = client_for(url, api_key).deployments(swarm, limit)
    if as_json:
        console.print_json(json.dumps(found))
        return
    table = Table("swarm", "version", "id", "deployed", "by", "message", title="versions")
    for d in found:
        table.add_row(
            escape(d["swarm"]),
            escape(d["version"]),
            escape(d["id"]),
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d["created_at"])),
            escape(d["created_by"]),
            escape(d["message"]),
        )
    console.print(table)


@deployments_app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="A deployment id, or SWARM@VERSION.")],
    as_json: Json = False,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
) -> None:
    """One version with its whole spec."""
    found = _resolve(client_for(url, api_key), ref)
    if as_json:
        console.print_json(json.dumps(found))
        return
    console.print(f"[bold]{escape(found['swarm'])}[/] {escape(found['version'])} ({found['id']})")
    console.print(escape(yaml.safe_dump(found["spec"], sort_keys=False)), highlight=False)


@deployments_app.command("diff")
def diff(
    a: Annotated[str, typer.Argument(help="A deployment id, or SWARM@VERSION.")],
    b: Annotated[str, typer.Argument(help="Another one.")],
    as_json: Json = False,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
) -> None:
    """What changed between two versions (prompts, models, flow, budgets, rollout...), as a
    unified diff of their specs. Exit 0 when they are the same, 1 when they differ."""
    client = client_for(url, api_key)
    left, right = _resolve(client, a), _resolve(client, b)
    lines = list(
        difflib.unified_diff(
            yaml.safe_dump(left["spec"], sort_keys=True).splitlines(),
            yaml.safe_dump(right["spec"], sort_keys=True).splitlines(),
            f"{left['swarm']}@{left['version']}",
            f"{right['swarm']}@{right['version']}",
            lineterm="",
        )
    )
    if as_json:
        console.print_json(json.dumps({"same": not lines, "diff": lines}))
    else:
        for line in lines:
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else None
            console.print(Text(line, style=style or ""))
        if not lines:
            console.print("the two versions have the same spec")
    raise typer.Exit(0 if not lines else 1)


@rollout_app.command("status")
def status(
    swarm: Annotated[str, typer.Argument(help="Swarm name.")],
    watch: Annotated[
        bool, typer.Option("--watch", help="Follow live until it ends or pauses.")
    ] = False,
    as_json: Json = False,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
) -> None:
    """The swarm's rollout: phase, weights, steps and each analysis against its thresholds."""
    client = client_for(url, api_key)
    if watch:
        raise typer.Exit(_follow(client, swarm, as_json))
    state = client.rollout(swarm)
    if as_json:
        console.print_json(json.dumps(state))
    else:
        console.print(rollout_view(state))


def _verb(verb: str, help_text: str) -> Any:
    def command(
        swarm: Annotated[str, typer.Argument(help="Swarm name.")],
        as_json: Json = False,
        url: Url = DEFAULT_URL,
        api_key: Key = None,
    ) -> None:
        state = client_for(url, api_key).steer(swarm, verb)
        if as_json:
            console.print_json(json.dumps(state))
        else:
            console.print(rollout_view(state))

    command.__doc__ = help_text
    return command


for _name, _help in (
    ("promote", "Leave a pause, or move the canary one step on."),
    ("promote-full", "Skip every remaining step and analysis: the candidate becomes stable."),
    ("abort", "All new tasks to stable; the candidate's failed and queued tasks re-run there."),
    ("pause", "Hold the rollout where it is."),
    ("resume", "Go on after a pause."),
    ("retry", "Start an aborted candidate's rollout again from its first step."),
):
    rollout_app.command(_name)(_verb(_name, _help))


def rollback(
    swarm: Annotated[str, typer.Argument(help="Swarm name.")],
    to: Annotated[
        str | None, typer.Option(help="Version to go back to (default: the previous stable).")
    ] = None,
    as_json: Json = False,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
) -> None:
    """Send all new tasks of SWARM to an earlier version at once (its whole spec: prompts,
    models, budgets and config)."""
    state = client_for(url, api_key).rollback(swarm, to)
    if as_json:
        console.print_json(json.dumps(state))
    else:
        console.print(rollout_view(state))


def rollout_view(state: dict[str, Any]) -> Group:
    """A swarm's rollout as a person reads it: a weight bar, the steps and the analyses."""
    head = Text.assemble(
        (f"{state['swarm']}  ", "bold"),
        (state["phase"], _PHASE_STYLE.get(state["phase"], "")),
        f"  strategy {state['strategy']}",
    )
    weight = int(state["weight"])
    bar = Text.assemble(
        ("█" * (weight // 2), "magenta"),
        ("█" * (50 - weight // 2), "blue"),
        f"  stable {state['stable']} {100 - weight} %",
        f"  candidate {state['candidate']} {weight} %" if state["candidate"] else "",
    )
    parts: list[Any] = [head, bar]
    if state["candidate"] and state["steps"]:
        parts.append(Text(f"step {min(state['step'] + 1, state['steps'])} of {state['steps']}"))
    if state["pause_reason"]:
        parts.append(Text(f"paused: {state['pause_reason']}", style="yellow"))
    waiting = _waiting_for_traffic(state)
    if waiting:
        parts.append(Text(waiting, style="yellow"))
    if state["analyses"]:
        parts.append(_analyses(state["analyses"][-5:]))
    if state.get("history"):
        lines = [f"{h['action']}: {h['message']}" for h in state["history"][:5]]
        parts.append(Panel(Text("\n".join(lines)), title="history (newest first)"))
    return Group(*parts)


def _waiting_for_traffic(state: dict[str, Any]) -> str | None:
    """Why a progressing rollout holds its step: its newest analysis saw too few tasks."""
    if state["phase"] != "progressing" or not state["analyses"]:
        return None
    newest = state["analyses"][-1]
    if not newest.get("low_samples"):
        return None
    seen = newest["candidate"]["samples"]
    return f"waiting for traffic: the last analysis saw {seen} task(s) of the candidate, too few"


_PHASE_STYLE = {
    "healthy": "green",
    "progressing": "cyan",
    "paused": "yellow",
    "aborted": "bold red",
}


def _analyses(analyses: list[dict[str, Any]]) -> Table:
    table = Table("when", "verdict", "check", "measured", "limit", title="analyses")
    for analysis in analyses:
        when = time.strftime("%H:%M:%S", time.localtime(analysis["at"]))
        for i, check in enumerate(analysis["checks"] or [{"name": "-", "value": None}]):
            value = check.get("value")
            table.add_row(
                when if i == 0 else "",
                analysis["verdict"] if i == 0 else "",
                escape(check["name"]),
                "-" if value is None else f"{value:.4g}",
                "" if "limit" not in check else f"{check['limit']:.4g}",
                style=_VERDICT_STYLE.get(check.get("verdict", ""), ""),
            )
    return table


_VERDICT_STYLE = {"fail": "red", "inconclusive": "yellow", "pass": ""}


def _follow(client: SwarmClient, swarm: str, as_json: bool, poll_s: float = 1.0) -> int:
    """Show the rollout live until it is healthy (0), aborted (1) or paused (3)."""
    state = client.rollout(swarm)
    with Live(rollout_view(state), console=console, refresh_per_second=4) as live:
        while state["phase"] == "progressing":
            time.sleep(poll_s)
            state = client.rollout(swarm)
            live.update(rollout_view(state))
    if as_json:
        console.print_json(json.dumps(state))
    return {"healthy": 0, "aborted": EXIT_ABORTED}.get(state["phase"], EXIT_PAUSED)


def _resolve(client: SwarmClient, ref: str) -> dict[str, Any]:
    if "@" not in ref:
        return client.deployment(ref)
    swarm, version = ref.split("@", 1)
    for d in client.deployments(swarm, 1000):
        if d["version"] == version:
            return client.deployment(d["id"])
    raise NotFound(
        f"swarm {swarm!r} has no version {version!r}",
        fix=f"list its versions with `swarmstack deployments list --swarm {swarm}`",
    )
