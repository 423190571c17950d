"""Durations and sizes as users write them in specs and settings ("30s", "5m", "50ms", 1.5).

Called by the spec and settings models; pure.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, GetJsonSchemaHandler, PlainSerializer
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
# The same strings with a non-zero digit somewhere in the number: what a `gt=0` field accepts.
_POSITIVE = r"^\s*(0*[1-9]\d*(\.\d+)?|\d+\.\d*[1-9]\d*)\s*(ms|s|m|h|d)?\s*$"


def parse_duration(value: object) -> float:
    """Seconds from `30s`, `5m`, `50ms`, `1.5` (seconds) or a number; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5m or 500ms, got a boolean")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ValueError(f"expected a duration such as 30s, 5m or 500ms, got {value!r}")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact form: 0.05 -> "50ms", 90 -> "90s", 3600 -> "1h"."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}


class _AlsoAString:
    """JSON Schema of a duration: the number of seconds, or a string such as `30s`."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        seconds: dict[str, Any] = handler(core_schema)
        for bound, keyword in _BOUNDS.items():  # pydantic leaves gt/ge/... raw on this schema
            if bound in seconds:
                seconds[keyword] = seconds.pop(bound)
        if "minimum" not in seconds and "exclusiveMinimum" not in seconds:
            seconds["minimum"] = 0
        positive = seconds.get("exclusiveMinimum") == 0
        pattern = _POSITIVE if positive else _DURATION.pattern
        text = {"type": "string", "pattern": pattern, "examples": ["30s", "5m", "500ms"]}
        return {"anyOf": [seconds, text]}


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    _AlsoAString(),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A duration in seconds that accepts `30s`, `5m`, `500ms` or a number of seconds."""
