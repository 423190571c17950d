"""Load a swarm spec from YAML with errors that name file:line, the field path and a fix.

Called by the CLI (`validate`, `up`), the server (deployments) and the renderers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from swarmstack.errors import SpecError
from swarmstack.spec.swarm import SwarmSpec
from swarmstack.spec.yaml_nodes import Loc, compose, dotted


def load_spec(path: str | Path, env: Mapping[str, str] | None = None) -> SwarmSpec:
    """Read, interpolate and validate the spec at `path`."""
    return load_spec_lines(path, env)[0]


def load_spec_lines(
    path: str | Path, env: Mapping[str, str] | None = None
) -> tuple[SwarmSpec, dict[Loc, int]]:
    """The spec at `path` and the line of every path in it (for later checks' errors)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror}", fix="check the path") from exc
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
            fix="save the file as UTF-8",
        ) from None
    return _parse(text, str(path), os.environ if env is None else env)


def parse_spec(text: str, source: str, env: Mapping[str, str]) -> SwarmSpec:
    """Validate spec text; `source` names it in errors."""
    return _parse(text, source, env)[0]


def _parse(text: str, source: str, env: Mapping[str, str]) -> tuple[SwarmSpec, dict[Loc, int]]:
    data, lines = compose(text, source, env)
    if not isinstance(data, dict):
        raise SpecError(
            "a swarm spec must be a mapping",
            where=f"{source}:1",
            fix="start with `name: my-swarm` and `agents:`",
        )
    # Top-level `x-...` keys hold anchors for merge keys, as in docker compose files.
    data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    try:
        return SwarmSpec.model_validate(data), lines
    except ValidationError as exc:
        problems = [_describe(err, source, lines) for err in exc.errors()]
        raise SpecError(
            f"{source} is not a valid swarm spec ({len(problems)} problem"
            f"{'s' if len(problems) > 1 else ''})",
            problems=problems,
        ) from None


def _describe(err: ErrorDetails, source: str, lines: dict[Loc, int]) -> str:
    loc = _data_loc(tuple(err["loc"]), lines)
    message = err["msg"].removeprefix("Value error, ")
    if not loc and (named := _path_in_message(message, lines)):
        loc = named
    line = line_of(loc, lines)
    return f"  {source}:{line} {dotted(loc) or '(top level)'}: {message}. Fix: {_fix(err, loc)}"


def line_of(loc: Loc, lines: dict[Loc, int]) -> int:
    """The line of `loc`, or of its nearest parent in the file (a missing key's mapping)."""
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)


def _data_loc(loc: Loc, lines: dict[Loc, int]) -> Loc:
    """Drop pydantic's union tags from `loc`, keeping only steps that exist in the data."""
    out: Loc = ()
    for part in loc:
        if part == "[key]":  # a dict key's own error: the key is the last step already
            continue
        if (*out, part) in lines or not isinstance(part, str) or part not in _TAGS:
            out = (*out, part)
    return out


_TAGS = {"python", "llm", "sequential", "concurrent", "router", "graph", "function-after"}


def _path_in_message(message: str, lines: dict[Loc, int]) -> Loc:
    match = re.match(r"^([a-z_]+(?:\.[\w-]+|\[\d+\])*)", message)
    if not match:
        return ()
    parts = re.findall(r"[\w-]+|\[\d+\]", match.group(1))
    loc: Loc = tuple(int(p[1:-1]) if p.startswith("[") else p for p in parts)
    while loc and loc not in lines:
        loc = loc[:-1]
    return loc


def _fix(err: ErrorDetails, loc: Loc) -> str:
    raw = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        known = _known_keys(raw[:-1])
        return f"remove `{loc[-1]}` or fix its spelling; known keys here: {known}"
    if kind == "missing":
        return f"add `{loc[-1]}:` (see `swarmstack schema`)"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return (
            "set `kind:` (agents: python | llm) or `type:` (flows: sequential | concurrent"
            " | router | graph)"
        )
    return "see `swarmstack schema` for the allowed values"


def _known_keys(raw_loc: Loc) -> str:
    """Field names of the model at `raw_loc` (pydantic's loc, union tags included)."""
    model: Any = SwarmSpec
    for part in raw_loc:
        model = _child(model, part)
    model = _strip(model, None)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return ", ".join(model.model_fields)
    return "see `swarmstack schema`"


def _child(tp: Any, part: str | int) -> Any:
    tagged = _strip(tp, part)
    if tagged is not _strip(tp, None):
        return tagged
    tp = tagged
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(part))
        return field.annotation if field else None
    if get_origin(tp) in (dict, list):
        return get_args(tp)[-1]
    return tp


def _strip(tp: Any, tag: str | int | None) -> Any:
    """Unwrap Annotated and Optional; pick a tagged union member by its discriminator value."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        members = [a for a in get_args(tp) if a is not type(None)] if _is_union(tp) else []
        if not members:
            return tp
        tagged = [m for m in members if tag is not None and _tag_of(m) == tag]
        if tagged:
            return tagged[0]
        if len(members) == 1:
            tp = members[0]
            continue
        return tp


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, UnionType)


def _tag_of(model: Any) -> Any:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for name in ("kind", "type"):
        field = model.model_fields.get(name)
        if field is not None and get_args(field.annotation):
            return get_args(field.annotation)[0]
    return None
