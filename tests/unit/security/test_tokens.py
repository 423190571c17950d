"""JWT access and refresh tokens: issue, verify, rotate keys, and refuse every bad token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import time
from pathlib import Path

import jwt
import pytest
from pydantic import SecretStr

from swarmstack.errors import SettingsError
from swarmstack.security.tokens import (
    InvalidToken,
    TokenKeys,
    decode,
    hmac_key,
    issue,
    keys_from,
    private_key,
    public_key,
)
from swarmstack.settings.models import SecuritySettings

SECRET = "s" * 40
OTHER = "o" * 40


def token(
    keys: TokenKeys, *, now: float | None = None, ttl_s: float = 60, kind: str = "access"
) -> str:
    made, _ = issue(
        keys, subject="u_1", name="alice", role="viewer", tenant=None, kind=kind,
        now=time.time() if now is None else now, ttl_s=ttl_s,
    )  # fmt: skip
    return made


def test_a_token_verifies_and_carries_its_claims() -> None:
    keys = TokenKeys.of(hmac_key(SECRET))
    claims = decode(keys, token(keys), kind="access")
    assert (claims.subject, claims.name, claims.role, claims.kind) == (
        "u_1", "alice", "viewer", "access",
    )  # fmt: skip


def test_a_refresh_token_is_not_an_access_token() -> None:
    keys = TokenKeys.of(hmac_key(SECRET))
    with pytest.raises(InvalidToken, match="'refresh' token where 'access'"):
        decode(keys, token(keys, kind="refresh"), kind="access")


def test_expired_and_not_yet_valid_tokens_are_refused() -> None:
    keys = TokenKeys.of(hmac_key(SECRET))
    with pytest.raises(InvalidToken, match="Expired"):
        decode(keys, token(keys, now=time.time() - 120, ttl_s=60), kind="access")
    with pytest.raises(InvalidToken, match="ImmatureSignature"):
        decode(keys, token(keys, now=time.time() + 3600), kind="access")


def _b64(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def _forge(header: dict[str, object], payload: dict[str, object], key: bytes | None) -> str:
    """A token signed by hand (HS256 with any bytes, or unsigned), as an attacker would."""
    signed = b".".join(_b64(json.dumps(p).encode()) for p in (header, payload))
    mac = b"" if key is None else _b64(hmac.new(key, signed, hashlib.sha256).digest())
    return (signed + b"." + mac).decode()


def _payload(**changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": "swarmstack", "aud": "swarmstack", "sub": "u_1", "typ": "access", "jti": "j",
        "iat": now, "nbf": now, "exp": now + 60,
    }  # fmt: skip
    return {**base, **changes}


def test_alg_none_wrong_audience_unknown_kid_and_bad_signature_are_refused() -> None:
    key = hmac_key(SECRET)
    keys = TokenKeys.of(key)
    cases = {
        "alg none": _forge({"alg": "none", "kid": key.kid}, _payload(), None),
        "audience": _forge(
            {"alg": "HS256", "kid": key.kid}, _payload(aud="other"), SECRET.encode()
        ),
        "issuer": _forge({"alg": "HS256", "kid": key.kid}, _payload(iss="evil"), SECRET.encode()),
        "kid": _forge({"alg": "HS256", "kid": "hs-unknown"}, _payload(), SECRET.encode()),
        "signature": _forge({"alg": "HS256", "kid": key.kid}, _payload(), OTHER.encode()),
        "no exp": _forge({"alg": "HS256", "kid": key.kid}, _payload(exp=None), SECRET.encode()),
        "garbage": "not.a.token",
    }
    for name, bad in cases.items():
        with pytest.raises(InvalidToken):
            decode(keys, bad, kind="access")
        assert name


def test_a_rotated_secret_still_verifies_old_tokens_but_no_longer_signs() -> None:
    before = keys_from(SecuritySettings(jwt_secret=SecretStr(SECRET)))
    old = token(before)
    after = keys_from(
        SecuritySettings(jwt_secret=SecretStr(OTHER), jwt_previous_secrets=[SecretStr(SECRET)])
    )
    assert decode(after, old, kind="access").subject == "u_1"
    assert jwt.get_unverified_header(token(after))["kid"] == hmac_key(OTHER).kid
    dropped = keys_from(SecuritySettings(jwt_secret=SecretStr(OTHER)))
    with pytest.raises(InvalidToken, match="unknown key id"):
        decode(dropped, old, kind="access")


def test_short_secrets_are_refused() -> None:
    with pytest.raises(SettingsError, match="at least 32"):
        hmac_key("short")


def _pem(tmp_path: Path, name: str, algorithm: str) -> tuple[Path, Path]:
    private = tmp_path / f"{name}.pem"
    public = tmp_path / f"{name}.pub"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", algorithm, "-out", str(private)], check=True
    )
    subprocess.run(
        ["openssl", "pkey", "-in", str(private), "-pubout", "-out", str(public)], check=True
    )
    return private, public


def test_ed25519_keys_sign_and_an_hs256_token_cannot_pose_as_one(tmp_path: Path) -> None:
    private, public = _pem(tmp_path, "jwt", "ed25519")
    keys = keys_from(SecuritySettings(jwt_private_key_file=private))
    assert keys.signing is not None and keys.signing.algorithm == "EdDSA"
    made = token(keys)
    assert decode(keys, made, kind="access").name == "alice"
    verify_only = TokenKeys.of(None, [public_key(public)])
    assert decode(verify_only, made, kind="access").subject == "u_1"
    # HS256 signed with the public key's bytes under its kid: key confusion must fail
    forged = _forge({"alg": "HS256", "kid": keys.signing.kid}, _payload(), public.read_bytes())
    with pytest.raises(InvalidToken):
        decode(keys, forged, kind="access")


def test_a_private_key_takes_over_signing_and_the_secret_still_verifies(tmp_path: Path) -> None:
    private, _ = _pem(tmp_path, "jwt", "ed25519")
    old = token(keys_from(SecuritySettings(jwt_secret=SecretStr(SECRET))))
    keys = keys_from(SecuritySettings(jwt_secret=SecretStr(SECRET), jwt_private_key_file=private))
    assert decode(keys, old, kind="access").subject == "u_1"
    assert jwt.get_unverified_header(token(keys))["alg"] == "EdDSA"


def test_unreadable_key_files_say_how_to_make_one(tmp_path: Path) -> None:
    (tmp_path / "bad.pem").write_text("not a key")
    with pytest.raises(SettingsError, match="openssl genpkey"):
        private_key(tmp_path / "bad.pem")
    with pytest.raises(SettingsError, match="openssl pkey"):
        public_key(tmp_path / "missing.pub")


def test_no_key_means_sign_in_is_off() -> None:
    keys = keys_from(SecuritySettings())
    assert keys.signing is None
    with pytest.raises(InvalidToken, match="no signing key"):
        token(keys)
