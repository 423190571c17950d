"""Deployments and rollouts over HTTP: deploy a version, list and show versions, see a swarm's
rollout, steer it (promote, abort, pause, resume, retry) and roll back."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from swarmstack.core import rollout
from swarmstack.core.rollout_types import RolloutState
from swarmstack.deploy.service import Verb
from swarmstack.errors import InvalidInput, NotFound, SpecError
from swarmstack.server.auth import authenticate
from swarmstack.server.problems import problem_responses
from swarmstack.server.schemas import StorableName
from swarmstack.server.state import Manager
from swarmstack.spec import SwarmSpec
from swarmstack.spec.loader import parse_spec
from swarmstack.store import Deployment, HistoryLine, Principal

router = APIRouter(
    prefix="/api/v1",
    tags=["deployments"],
    responses=problem_responses(400, 401, 404, 409, 413, 422, 429, 503),
)
Who = Annotated[Principal, Depends(authenticate)]
SwarmName = Annotated[StorableName, Path(max_length=64, description="Swarm name.")]
StrategyName = Literal["all-at-once", "canary", "blue-green"]


class DeployIn(BaseModel):
    """A spec to deploy as a new version: `spec` (the spec as a JSON object, as `swarmstack
    deploy` sends it after expanding `${VAR}` on the client) or `spec_yaml` (YAML text; `${VAR}`
    is not expanded on the server, `${secret:NAME}` is kept for the workers)."""

    model_config = ConfigDict(extra="forbid")

    spec: dict[str, Any] | None = Field(None, description="The spec as a JSON object.")
    spec_yaml: str | None = Field(
        None, min_length=1, max_length=1_000_000, description="The spec as YAML."
    )
    strategy: StrategyName | None = Field(
        None, description="Override the spec's rollout strategy for this deploy."
    )
    message: str = Field("", max_length=2000, description="Why (kept in the history).")
    code_version: StorableName | None = Field(
        None,
        max_length=100,
        description="The code this version needs (image tag or package version); only workers "
        "with that worker.code_version run it.",
    )


class DeploymentOut(BaseModel):
    """One immutable version of a swarm."""

    id: str
    swarm: str
    version: str
    content_hash: str
    code_version: str | None
    created_at: float
    created_by: str
    message: str
    spec: dict[str, Any] | None = Field(None, description="Only on GET /deployments/{id}.")

    @classmethod
    def of(cls, d: Deployment, with_spec: bool = False) -> DeploymentOut:
        """The API view of a deployment."""
        return cls(
            id=d.id,
            swarm=d.swarm,
            version=d.version,
            content_hash=d.content_hash,
            code_version=d.code_version,
            created_at=d.created_at,
            created_by=d.created_by,
            message=d.message,
            spec=d.spec if with_spec else None,
        )


class HistoryOut(BaseModel):
    """One line of a swarm's rollout history."""

    action: str
    version: str | None
    previous: str | None
    by: str
    message: str
    created_at: float


class RolloutOut(BaseModel):
    """A swarm's rollout: phase, weights, step, and each analysis with measured values."""

    swarm: str
    phase: str = Field(description="healthy | progressing | paused | aborted")
    strategy: str
    stable: str
    candidate: str | None
    weight: int = Field(description="Percent of new tasks routed to the candidate.")
    step: int
    steps: int = Field(description="Steps in the plan (canary).")
    pause_reason: str | None
    started_at: float
    analyses: list[dict[str, Any]] = Field(description="Newest last, with every check.")
    history: list[HistoryOut] = Field(description="Newest first.")


class DeployOut(BaseModel):
    """A deploy's answer."""

    deployment: DeploymentOut
    created: bool = Field(description="False when identical content was already deployed.")
    rollout: RolloutOut


class VersionOut(BaseModel):
    """A version of a swarm and whether a live worker runs it."""

    version: str
    created_at: float
    code_version: str | None
    runnable: bool = Field(description="A live worker has it loaded.")


class SwarmOut(BaseModel):
    """A swarm with its versions and where new tasks go."""

    name: str
    stable: str
    candidate: str | None
    weight: int
    phase: str
    versions: list[VersionOut]


class RollbackIn(BaseModel):
    """Where to roll back to."""

    model_config = ConfigDict(extra="forbid")

    to: StorableName | None = Field(
        None, max_length=64, description="A version; default: the stable before the current."
    )


def _manager(request: Request) -> Manager:
    manager: Manager = request.app.state.manager
    return manager


@router.post("/deployments", status_code=201, response_model=DeployOut)
async def deploy(body: DeployIn, request: Request, response: Response, who: Who) -> DeployOut:
    """Deploy a spec: 201 with the new version and its rollout (200 when identical content was
    already deployed: nothing changes)."""
    manager = _manager(request)
    spec = _spec_of(body)
    plan = None
    if body.strategy is not None:
        plan = dataclasses.replace(rollout.plan_of(spec.rollout), strategy=body.strategy)
    code_version = body.code_version or spec.deploy.code_version
    result = await manager.deployer.deploy(
        spec, by=who.name, message=body.message, code_version=code_version, plan=plan
    )
    response.status_code = 201 if result.created else 200
    response.headers["Location"] = f"/api/v1/deployments/{result.deployment.id}"
    return DeployOut(
        deployment=DeploymentOut.of(result.deployment),
        created=result.created,
        rollout=await _rollout_out(manager, spec.name, result.state),
    )


@router.get("/deployments", response_model=list[DeploymentOut])
async def list_deployments(
    request: Request,
    who: Who,
    swarm: Annotated[StorableName | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeploymentOut]:
    """Versions, newest first (of one swarm with `swarm`)."""
    found = await _manager(request).store.deployments.versions(swarm, limit)
    return [DeploymentOut.of(d) for d in found]


@router.get("/deployments/{deployment_id}", response_model=DeploymentOut)
async def show_deployment(
    deployment_id: Annotated[StorableName, Path(max_length=40)], request: Request, who: Who
) -> DeploymentOut:
    """One version with its whole spec."""
    return DeploymentOut.of(
        await _manager(request).store.deployments.by_id(deployment_id), with_spec=True
    )


@router.get("/swarms", response_model=list[SwarmOut])
async def swarms(request: Request, who: Who) -> list[SwarmOut]:
    """Every deployed swarm: its versions, where new tasks go, and which versions a live worker
    runs (a version no worker runs would leave its tasks queued)."""
    manager = _manager(request)
    runnable = {
        v for w in await manager.store.cluster.workers(alive_within_s=15) for v in w.versions
    }
    out = []
    for swarm, state, _ in await manager.store.deployments.states():
        versions = await manager.store.deployments.versions(swarm, 100)
        out.append(
            SwarmOut(
                name=swarm,
                stable=state.stable,
                candidate=state.candidate,
                weight=state.weight,
                phase=state.phase.value,
                versions=[
                    VersionOut(
                        version=d.version,
                        created_at=d.created_at,
                        code_version=d.code_version,
                        runnable=f"{swarm}@{d.version}" in runnable,
                    )
                    for d in versions
                ],
            )
        )
    return out


@router.get("/swarms/{name}/rollout", response_model=RolloutOut)
async def show_rollout(name: SwarmName, request: Request, who: Who) -> RolloutOut:
    """The swarm's rollout: phase, step, weights, analyses (measured values against thresholds,
    verdicts) and recent history."""
    manager = _manager(request)
    current = await manager.store.deployments.state(name)
    if current is None:
        raise _undeployed(name)
    return await _rollout_out(manager, name, current[0])


@router.post("/swarms/{name}/rollout/{verb}", response_model=RolloutOut)
async def steer_rollout(
    name: SwarmName,
    verb: Annotated[
        Verb, Path(description="promote | promote-full | abort | pause | resume | retry")
    ],
    request: Request,
    who: Who,
) -> RolloutOut:
    """Promote (leave a pause or move one step), promote-full (skip to the end), abort (all new
    tasks to stable, the candidate's failed and queued tasks re-run on stable), pause, resume,
    or retry an aborted candidate. 409 when the phase refuses the verb."""
    manager = _manager(request)
    state = await manager.deployer.command(name, verb, by=who.name)
    return await _rollout_out(manager, name, state)


@router.post("/swarms/{name}/rollback", response_model=RolloutOut)
async def rollback(name: SwarmName, body: RollbackIn, request: Request, who: Who) -> RolloutOut:
    """Send all new tasks to an earlier version at once (its whole spec: prompts, models,
    budgets, config), recorded in the history."""
    manager = _manager(request)
    state = await manager.deployer.rollback(name, body.to, by=who.name)
    return await _rollout_out(manager, name, state)


def _spec_of(body: DeployIn) -> SwarmSpec:
    if (body.spec is None) == (body.spec_yaml is None):
        raise InvalidInput(
            "send exactly one of `spec` (a JSON object) and `spec_yaml` (YAML text)",
            where="body",
            fix="swarmstack deploy SPEC sends `spec`; curl users can send the YAML as spec_yaml",
        )
    if body.spec_yaml is not None:
        return parse_spec(body.spec_yaml, "spec_yaml", {})
    try:
        return SwarmSpec.model_validate(body.spec)
    except ValueError as exc:
        raise SpecError(
            "the spec is not valid",
            where="body.spec",
            problems=[str(exc)],
            fix="check it locally with swarmstack validate FILE",
        ) from exc


async def _rollout_out(manager: Manager, swarm: str, state: RolloutState) -> RolloutOut:
    plan = await manager.deployer.plan_for(swarm)
    history = await manager.store.deployments.history(swarm, 20)
    return RolloutOut(
        swarm=swarm,
        phase=state.phase.value,
        strategy=plan.strategy,
        stable=state.stable,
        candidate=state.candidate,
        weight=state.weight,
        step=state.step,
        steps=len(plan.steps),
        pause_reason=state.pause_reason,
        started_at=state.started_at,
        analyses=[dataclasses.asdict(a) for a in state.analyses],
        history=[_history_out(h) for h in history],
    )


def _history_out(line: HistoryLine) -> HistoryOut:
    return HistoryOut(
        action=line.action,
        version=line.version,
        previous=line.previous,
        by=line.by,
        message=line.message,
        created_at=line.created_at,
    )


def _undeployed(swarm: str) -> NotFound:
    return NotFound(
        f"swarm {swarm!r} has never been deployed", fix="deploy it: swarmstack deploy SPEC"
    )
