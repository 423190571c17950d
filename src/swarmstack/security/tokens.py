"""Signed access and refresh tokens (JWT, RFC 7519) under key ids, so keys can rotate.

Signing: HS256 with `security.jwt_secret` (RFC 7518 section 3.2: at least 256 bits), or
RS256/EdDSA with the PEM private key in `security.jwt_private_key_file` (the algorithm follows
the key type). Verification accepts the current key and the older ones still configured
(`jwt_previous_secrets`, `jwt_public_key_files`), chosen by the token header's `kid`; each key
verifies only with its own algorithm, so `alg: none` and HS/RS confusion are refused. Claims:
`iss`, `aud`, `sub` (user id), `name`, `role`, `tenant`, `typ` (`access` | `refresh`), `jti`,
`fam` (refresh family), `iat`, `nbf`, `exp` (seconds since the epoch).

`decode` raises `InvalidToken` with the reason for logs; the API answers only "invalid
credentials" (docs/security.md).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from swarmstack.errors import SettingsError
from swarmstack.settings.models import SecuritySettings

ISSUER = "swarmstack"
AUDIENCE = "swarmstack"
MIN_SECRET_BYTES = 32
_REQUIRED = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti", "typ"]


class InvalidToken(Exception):
    """A token failed verification; the message is for logs only."""


@dataclass(frozen=True, slots=True)
class TokenKey:
    """One key: its id, algorithm, and the material to sign (None: verify only) and verify."""

    kid: str
    algorithm: str
    verify_with: Any
    sign_with: Any = None


@dataclass(frozen=True, slots=True)
class TokenKeys:
    """The signing key (None: sign-in is off) and every key a token may be verified with."""

    signing: TokenKey | None
    accepted: Mapping[str, TokenKey]

    @classmethod
    def of(cls, signing: TokenKey | None, older: Iterable[TokenKey] = ()) -> TokenKeys:
        """Keys from a signing key and older verify-only keys."""
        found = {k.kid: k for k in older}
        if signing is not None:
            found[signing.kid] = signing
        return cls(signing, found)


def hmac_key(secret: str, *, signing: bool = True) -> TokenKey:
    """An HS256 key from a shared secret; raises SettingsError when it is under 256 bits."""
    raw = secret.encode()
    if len(raw) < MIN_SECRET_BYTES:
        raise SettingsError(
            f"security.jwt_secret has {len(raw)} bytes; HS256 needs at least {MIN_SECRET_BYTES}",
            fix="generate one with `openssl rand -base64 48`",
        )
    kid = "hs-" + hashlib.sha256(b"swarmstack jwt kid\0" + raw).hexdigest()[:12]
    return TokenKey(kid, "HS256", raw, raw if signing else None)


def private_key(path: Path) -> TokenKey:
    """An RS256 or EdDSA signing key from a PEM private key file; raises SettingsError."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SettingsError(
            f"security.jwt_private_key_file {str(path)!r} is not a readable PEM private key",
            fix="create one with `openssl genpkey -algorithm ed25519 -out jwt.pem`",
        ) from exc
    public = key.public_key()
    return TokenKey(_public_kid(public), _algorithm(public, path), public, key)


def public_key(path: Path) -> TokenKey:
    """A verify-only RS256 or EdDSA key from a PEM public key file; raises SettingsError."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SettingsError(
            f"security.jwt_public_key_files: {str(path)!r} is not a readable PEM public key",
            fix="export it with `openssl pkey -in jwt.pem -pubout -out jwt.pub`",
        ) from exc
    return TokenKey(_public_kid(key), _algorithm(key, path), key)


def _algorithm(key: object, path: Path) -> str:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "EdDSA"
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise SettingsError(
                f"{str(path)!r} is an RSA key of {key.key_size} bits", fix="use 2048 or more"
            )
        return "RS256"
    raise SettingsError(
        f"{str(path)!r} holds a {type(key).__name__}; tokens are signed with Ed25519 or RSA keys",
        fix="create one with `openssl genpkey -algorithm ed25519 -out jwt.pem`",
    )


def _public_kid(key: Any) -> str:
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    prefix = "ed-" if isinstance(key, ed25519.Ed25519PublicKey) else "rs-"
    return prefix + hashlib.sha256(der).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says."""

    subject: str
    name: str
    role: str
    tenant: str | None
    kind: str  # "access" | "refresh"
    token_id: str
    family: str | None
    expires_at: float
    issued_at: float = 0.0


def issue(
    keys: TokenKeys,
    *,
    subject: str,
    name: str,
    role: str,
    tenant: str | None,
    kind: str,
    now: float,
    ttl_s: float,
    family: str | None = None,
) -> tuple[str, Claims]:
    """A signed token and its claims; raises InvalidToken when no signing key is configured."""
    if keys.signing is None:
        raise InvalidToken("no signing key is configured")
    claims = Claims(
        subject, name, role, tenant, kind, secrets.token_hex(12), family, now + ttl_s, round(now, 3)
    )
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "name": name,
        "role": role,
        "tenant": tenant,
        "typ": kind,
        "jti": claims.token_id,
        "fam": family,
        "iat": round(now, 3),  # sub-second: a password change at second s ends tokens of s
        "nbf": int(now),
        "exp": int(now + ttl_s),
    }
    key = keys.signing
    token = jwt.encode(payload, key.sign_with, algorithm=key.algorithm, headers={"kid": key.kid})
    return token, claims


def decode(keys: TokenKeys, token: str, *, kind: str) -> Claims:
    """The claims of `token` if it verifies as a `kind` token; raises InvalidToken (expired,
    not yet valid, wrong audience or issuer, unknown `kid`, bad signature, wrong type)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed token: {exc}") from exc
    key = keys.accepted.get(str(header.get("kid", "")))
    if key is None:
        raise InvalidToken(f"unknown key id {str(header.get('kid'))[:40]!r}")
    try:
        payload = jwt.decode(
            token,
            key.verify_with,
            algorithms=[key.algorithm],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": _REQUIRED},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"{type(exc).__name__}: {exc}") from exc
    return _claims(payload, kind)


def _claims(payload: dict[str, Any], kind: str) -> Claims:
    if payload.get("typ") != kind:
        raise InvalidToken(f"a {payload.get('typ')!r} token where {kind!r} was expected")
    tenant, family = payload.get("tenant"), payload.get("fam")
    return Claims(
        subject=str(payload["sub"]),
        name=str(payload.get("name", "")),
        role=str(payload.get("role", "")),
        tenant=tenant if isinstance(tenant, str) else None,
        kind=kind,
        token_id=str(payload["jti"]),
        family=family if isinstance(family, str) else None,
        expires_at=float(payload["exp"]),
        issued_at=float(payload["iat"]),
    )


def keys_from(security: SecuritySettings) -> TokenKeys:
    """The token keys the settings describe; raises SettingsError for an unusable key.

    The private key (if set) signs, else `jwt_secret`; every other configured key verifies.
    No key at all: sign-in is off (API keys still work)."""
    older = [public_key(p) for p in security.jwt_public_key_files]
    older += [hmac_key(s.get_secret_value(), signing=False) for s in security.jwt_previous_secrets]
    secret = security.jwt_secret.get_secret_value() if security.jwt_secret else None
    if security.jwt_private_key_file is not None:
        if secret:
            older.append(hmac_key(secret, signing=False))
        return TokenKeys.of(private_key(security.jwt_private_key_file), older)
    return TokenKeys.of(hmac_key(secret) if secret else None, older)
