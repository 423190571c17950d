"""`${VAR}` interpolation for specs and config files.

`${VAR}` and `${VAR:-default}` are replaced from the environment, and `$${` is a literal `${`
(as in docker compose); `${secret:NAME}` is kept as a
reference that the runtime resolves when it needs the value, so secrets never land in stored or
rendered specs. Pure apart from reading the mapping it is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PATTERN = re.compile(r"\$\$\{|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_SECRET = re.compile(r"^\$\{secret:(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}$")


class MissingVariable(ValueError):
    """A `${VAR}` names a variable that is not set and has no default."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"${{{name}}} is not set; export {name}=... or write ${{{name}:-default}}")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Replace every `${VAR}` in `text` and `$${` by `${`; `${secret:...}` references are left
    for the runtime."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group("name"), match.group("default")
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise MissingVariable(name)

    return _PATTERN.sub(replace, text)


def secret_name(value: str) -> str | None:
    """The NAME of a `${secret:NAME}` reference, or None for a plain value."""
    match = _SECRET.match(value)
    return match.group("name") if match else None
