"""The one error root of swarmstack and its families.

Every error's docstring is its default message, every error knows the HTTP status it maps to,
and retryable faults are a type (`TemporaryError`), never a string to parse. Called by every
layer; imports nothing of the project.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SwarmstackError(Exception):
    """Something went wrong in swarmstack."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"

    def __init__(
        self,
        message: str | None = None,
        *,
        where: str | None = None,
        fix: str | None = None,
        **details: Any,
    ) -> None:
        self.message = message or (self.__doc__ or "").strip()
        self.where = where
        self.fix = fix
        self.details = details
        super().__init__(self.render())

    def render(self) -> str:
        """The one-line form: `where: message (fix)`."""
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text}. Fix: {self.fix}" if self.fix else text


class PermanentError(SwarmstackError):
    """The operation failed and retrying it will not help."""


class TemporaryError(SwarmstackError):
    """The operation failed for a reason that may pass; retry after `delay_s`."""

    status = 503
    code = "temporarily-unavailable"

    def __init__(self, message: str | None = None, *, delay_s: float = 1.0, **kw: Any) -> None:
        self.delay_s = delay_s
        super().__init__(message, **kw)


# --- user input -------------------------------------------------------------------------------
class InvalidInput(PermanentError):
    """The input is not valid."""

    status = 422
    code = "invalid-input"


class SpecError(InvalidInput):
    """The swarm spec is not valid."""

    code = "invalid-spec"

    def __init__(
        self, message: str | None = None, *, problems: list[str] | None = None, **kw: Any
    ) -> None:
        self.problems = problems or []
        super().__init__(message, **kw)

    def render(self) -> str:
        head = super().render()
        return head if not self.problems else head + "\n" + "\n".join(self.problems)


class SettingsError(InvalidInput):
    """The runtime settings are not valid."""

    code = "invalid-settings"


class NotSupported(InvalidInput):
    """This setting is recognised but not supported."""

    code = "not-supported"


# --- API ----------------------------------------------------------------------------------------
class Unauthorized(PermanentError):
    """Missing or invalid credentials."""

    status = 401
    code = "unauthorized"


class SignInOff(PermanentError):
    """Sign-in is off on this manager: no token signing key is configured."""

    status = 503
    code = "sign-in-off"


class Forbidden(PermanentError):
    """The credentials are valid but lack the role for this action."""

    status = 403
    code = "forbidden"


class NotFound(PermanentError):
    """No such resource."""

    status = 404
    code = "not-found"


class Conflict(PermanentError):
    """The request conflicts with the current state."""

    status = 409
    code = "conflict"


class PayloadTooLarge(InvalidInput):
    """The request body is larger than the configured limit."""

    status = 413
    code = "payload-too-large"


class RateLimited(TemporaryError):
    """Too many requests."""

    status = 429
    code = "rate-limited"


# --- store and runtime ---------------------------------------------------------------------
class StoreUnavailable(TemporaryError):
    """The task store cannot be reached; the request can be retried."""

    code = "store-unavailable"


class StoreRefused(StoreUnavailable):
    """The database answered but refused this connection: a wrong user or password, a client
    its pg_hba.conf does not allow, no such database. Work in flight treats it as an outage
    (retried, never blamed on a row); a node starting up stops at once with the fix."""

    code = "store-refused"


class StoreRejected(PermanentError):
    """The store refused a value (bad bytes, too long, out of range); retrying cannot help.

    Only connectivity faults are `StoreUnavailable`; a data fault is this, so one bad row is
    isolated (its batch is retried row by row) and never counted as an outage.
    """

    status = 500
    code = "store-rejected-value"


class StoreConflict(StoreRejected):
    """A unique constraint refused the row: another writer stored the same key first."""

    status = 409
    code = "store-conflict"


class DecryptionFailed(PermanentError):
    """A stored value cannot be decrypted: it was changed, moved from another column, or
    encrypted under another key of the same id. Nothing is returned in its place."""

    status = 500
    code = "undecryptable-value"


class UnknownKey(DecryptionFailed):
    """A stored value is encrypted under a key this node does not have."""

    code = "unknown-encryption-key"

    def __init__(self, message: str | None = None, *, kid: str = "", **kw: Any) -> None:
        self.kid = kid
        super().__init__(message, kid=kid, **kw)


class AgentError(SwarmstackError):
    """An agent raised an error while running a task."""

    status = 500
    code = "agent-error"


class TaskTimeout(TemporaryError):
    """The task ran longer than its timeout."""

    code = "task-timeout"


class AgentCancelled(PermanentError):
    """The task was cancelled or timed out; the agent stopped at a cancel check."""

    code = "agent-cancelled"


class BudgetExceeded(PermanentError):
    """The task went over its budget."""

    status = 422
    code = "budget-exceeded"

    def __init__(self, message: str | None = None, *, limit: str = "", **kw: Any) -> None:
        self.limit = limit
        super().__init__(message, **kw)


# --- LLM providers -------------------------------------------------------------------------------
# A provider fault that may pass (429, 5xx, a dropped connection, a slow answer) is retried inside
# the call with backoff; when those retries are spent it surfaces as a TemporaryError so the
# worker's task-level retry policy can try again later. A 4xx other than 429 is permanent.
class LLMProviderError(PermanentError):
    """The LLM provider rejected the request."""

    status = 502
    code = "llm-provider-error"

    def __init__(
        self, message: str | None = None, *, http_status: int | None = None, **kw: Any
    ) -> None:
        self.http_status = http_status
        super().__init__(message, **kw)


class LLMUnavailable(TemporaryError):
    """The LLM provider is unavailable or overloaded; retries were spent."""

    status = 503
    code = "llm-unavailable"

    def __init__(
        self, message: str | None = None, *, http_status: int | None = None, **kw: Any
    ) -> None:
        self.http_status = http_status
        super().__init__(message, **kw)


class LLMTimeout(TemporaryError):
    """An LLM call took longer than its timeout."""

    status = 504
    code = "llm-timeout"
