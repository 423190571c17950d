"""Console views of swarms and deployments: versions, current weights, a diff between any two
versions, and each rollout's progress with its analyses; promote / abort / pause / resume /
retry / roll back for those allowed. The data and the actions are the JSON API's own handlers
(server/routes_deployments.py), called with the console's principal."""

from __future__ import annotations

import difflib
from typing import Any, get_args

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from swarmstack.core.rollout import Verb
from swarmstack.errors import InvalidInput
from swarmstack.server import routes_deployments as api
from swarmstack.server.console import session
from swarmstack.server.console.pages import ConsoleRoute, render
from swarmstack.server.console.session import Console
from swarmstack.server.state import Manager

router = APIRouter(prefix="/console/swarms", route_class=ConsoleRoute, include_in_schema=False)
VERBS: tuple[str, ...] = get_args(Verb)
# what each phase lets a person press (the deployer refuses the rest with 409 anyway)
BY_PHASE = {
    "progressing": ("promote", "promote-full", "pause", "abort"),
    "paused": ("promote", "resume", "abort"),
    "aborted": ("retry",),
    "healthy": (),
}


def _manager(request: Request) -> Manager:
    manager: Manager = request.app.state.manager
    return manager


@router.get("")
async def swarm_list(request: Request, who: Console) -> Response:
    """Every deployed swarm: its versions and where new tasks go."""
    return render(request, "swarms.html", who, swarms=await api.swarms(request, who))


def spec_diff(old: dict[str, Any], new: dict[str, Any], a: str, b: str) -> list[str]:
    """A unified diff of two specs as YAML (keys sorted)."""
    before = yaml.safe_dump(old, sort_keys=True, allow_unicode=True).splitlines()
    after = yaml.safe_dump(new, sort_keys=True, allow_unicode=True).splitlines()
    return list(difflib.unified_diff(before, after, a, b, lineterm=""))


@router.get("/{name}")
async def swarm_detail(
    name: str, request: Request, who: Console, a: str | None = None, b: str | None = None
) -> Response:
    """One swarm: its rollout (analyses against thresholds, history), versions and a diff."""
    manager = _manager(request)
    rollout = await api.show_rollout(name, request, who)
    versions = await manager.store.deployments.versions(name, 100)
    names = [d.version for d in versions]
    diff: list[str] | None = None
    if a and b:
        old = await manager.store.deployments.get(name, a)
        new = await manager.store.deployments.get(name, b)
        diff = spec_diff(old.spec, new.spec, f"{name}@{a}", f"{name}@{b}")
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "rollout":
        return render(request, "rollout.html", who, rollout=rollout, verbs=BY_PHASE)
    return render(
        request,
        "swarm.html",
        who,
        rollout=rollout,
        verbs=BY_PHASE,
        versions=versions,
        names=names,
        a=a or (names[1] if len(names) > 1 else ""),
        b=b or (names[0] if names else ""),
        diff=diff,
    )


@router.post("/{name}/rollout/{verb}")
async def steer(name: str, verb: str, request: Request, who: Console) -> Response:
    """Promote, promote-full, abort, pause, resume or retry, then show the swarm again."""
    if verb not in VERBS:
        raise InvalidInput(f"no rollout action {verb[:40]!r}")
    await api.steer_rollout(name, verb, request, who)  # type: ignore[arg-type]
    return RedirectResponse(f"/console/swarms/{name}", status_code=303)


@router.post("/{name}/rollback")
async def rollback(name: str, request: Request, who: Console) -> Response:
    """Send all new tasks to an earlier version (the form's, else the previous stable)."""
    to = (await session.form(request)).get("to") or None
    await api.rollback(name, api.RollbackIn(to=to), request, who)
    return RedirectResponse(f"/console/swarms/{name}", status_code=303)
