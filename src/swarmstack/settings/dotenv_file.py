"""Reading a `.env` file line by line, keeping what python-dotenv's values drop: the line of
each entry and whether its value was single-quoted (literal, as in docker compose).

Called by `settings.sources`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dotenv.parser import parse_stream

_VALUE_START = re.compile(r"""^\s*(?:export\s+)?(?:'[^']+'|[^=#\s]+)\s*=[^\S\r\n]*(?P<q>['"]?)""")


@dataclass(frozen=True)
class EnvLine:
    """One `NAME=value` entry (`value` unexpanded; `literal` when it was single-quoted)."""

    line: int
    name: str
    value: str
    literal: bool


def env_lines(path: Path) -> Iterator[EnvLine | int]:
    """Each entry of the file, or the line number of a line that is not `NAME=value`."""
    with path.open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            text = binding.original.string
            line = binding.original.line + text[: len(text) - len(text.lstrip())].count("\n")
            if binding.error:
                yield line
            elif binding.key is not None and binding.value is not None:
                quote = _VALUE_START.match(text)
                literal = quote is not None and quote.group("q") == "'"
                yield EnvLine(line, binding.key, binding.value, literal)
