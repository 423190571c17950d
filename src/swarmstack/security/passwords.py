"""Password hashing with argon2id (RFC 9106) through argon2-cffi.

Hashing and verifying cost tens of milliseconds of CPU on purpose, so callers on an event loop
run them in a thread (`asyncio.to_thread`). `verify` of an unknown user goes through the same
work against a fixed dummy hash, so response times do not reveal which usernames exist.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from swarmstack.errors import InvalidInput

# argon2-cffi's defaults are RFC 9106's second recommended profile (argon2id, t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("not a password of anyone: equalises timing for unknown users")
MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 takes any length; this keeps one request from costing more than others


def check_password(password: str) -> None:
    """Raise InvalidInput unless `password` is long enough (and not absurdly long)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"the password has {len(password)} characters, fewer than {MIN_LENGTH}",
            fix=f"choose a password of at least {MIN_LENGTH} characters",
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            f"the password has more than {MAX_LENGTH} characters",
            fix=f"choose a password of at most {MAX_LENGTH} characters",
        )


def hash_password(password: str) -> str:
    """An argon2id PHC string (`$argon2id$v=19$m=...`) for `password`; raises InvalidInput
    for a password `check_password` refuses."""
    check_password(password)
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the PHC string `stored` (None: an unknown user, checked
    against a dummy hash so it takes as long, and always False)."""
    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]
    try:
        ok = _HASHER.verify(stored or _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and stored is not None


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was hashed with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored)
