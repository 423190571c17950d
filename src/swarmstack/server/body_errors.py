"""Why a request body could not be read, in words a client can act on.

FastAPI answers a body that is not declared as JSON with a validation error about the body's
shape ("Input should be a valid dictionary") and a JSON body its parser refuses (an integer of
more than 4,300 digits, nesting thousands of levels deep) with a bare 400 "There was an error
parsing the body"; `server.problems` asks these functions what to say instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request

JSON_FIX = "send the body as JSON with the header Content-Type: application/json"


def not_declared_json(request: Request, errors: Sequence[dict[str, Any]]) -> str | None:
    """The complaint when the body failed as a whole because it was not sent as JSON."""
    kind = request.headers.get("content-type", "")
    media = kind.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return None
    if not any(tuple(e.get("loc", ())) == ("body",) for e in errors):
        return None
    shown = f"Content-Type {media}" if media else "no Content-Type"
    return f"the body was sent with {shown}; the content type must be application/json"


def unparsable_json(exc: BaseException) -> str | None:
    """What the JSON parser refused, from the cause FastAPI chained to its 400."""
    cause = exc.__cause__
    if isinstance(cause, RecursionError):
        return "the JSON body nests too deeply to be parsed (input may nest at most 64 levels)"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return f"the JSON body holds a number the parser refuses: {cause}"
    if isinstance(cause, UnicodeDecodeError):
        return "the JSON body is not valid UTF-8"
    return None
