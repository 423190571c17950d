"""Sign-in over HTTP: POST /api/v1/auth (username and password -> tokens), refresh, sign-out,
and GET /api/v1/auth/me (who the credentials belong to)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from swarmstack.security.roles import ROLE_PERMISSIONS, Role
from swarmstack.server import signin
from swarmstack.server.auth import Who
from swarmstack.server.problems import problem_responses
from swarmstack.server.schemas import StorableName

router = APIRouter(
    prefix="/api/v1/auth", tags=["auth"], responses=problem_responses(401, 422, 429, 503)
)


class SignInIn(BaseModel):
    """A username and password."""

    model_config = ConfigDict(extra="forbid")

    username: StorableName = Field(max_length=100)
    password: str = Field(max_length=1024)


class RefreshIn(BaseModel):
    """A refresh token from an earlier sign-in or refresh."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=4096)


class TokensOut(BaseModel):
    """Tokens (RFC 6749 section 5.1): send `Authorization: Bearer <access_token>`; before it
    expires (`expires_in` seconds), trade the refresh token for new ones (it works once)."""

    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class PrincipalOut(BaseModel):
    """Who the credentials belong to and what they may do."""

    id: str
    name: str
    kind: str = Field(description="user | key")
    role: str
    tenant: str | None
    permissions: list[str]


class SignedOut(BaseModel):
    """How many refresh tokens of that sign-in were revoked."""

    revoked: int


def _out(tokens: signin.Tokens) -> TokensOut:
    return TokensOut(
        access_token=tokens.access_token,
        token_type=tokens.token_type,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        refresh_expires_in=tokens.refresh_expires_in,
    )


@router.post("", response_model=TokensOut)
async def sign_in(body: SignInIn, request: Request) -> TokensOut:
    """Sign in: an access token and a refresh token. 401 "invalid credentials" for any failure
    (unknown user, wrong password, disabled or locked account); 429 when the source address
    tried too often."""
    await request.app.state.limiter.check_source(request)
    return _out(await signin.sign_in(request, body.username, body.password))


@router.post("/refresh", response_model=TokensOut)
async def refresh(body: RefreshIn, request: Request) -> TokensOut:
    """Trade a refresh token for new tokens; the old one stops working (a replay of it revokes
    every token of that sign-in)."""
    await request.app.state.limiter.check_source(request)
    return _out(await signin.refresh(request, body.refresh_token))


@router.post("/logout", response_model=SignedOut, responses=problem_responses(403))
async def logout(body: RefreshIn, request: Request, who: Who) -> SignedOut:
    """Sign out: revoke the refresh token and every token of its sign-in."""
    return SignedOut(revoked=await signin.sign_out(request, body.refresh_token, who.id))


@router.get("/me", response_model=PrincipalOut, responses=problem_responses(403))
async def me(who: Who) -> PrincipalOut:
    """The principal behind the credentials, its role and permissions."""
    try:
        permissions = sorted(p.value for p in ROLE_PERMISSIONS[Role(who.role)])
    except ValueError:
        permissions = []
    return PrincipalOut(
        id=who.id,
        name=who.name,
        kind=who.kind,
        role=who.role,
        tenant=who.tenant,
        permissions=permissions,
    )
