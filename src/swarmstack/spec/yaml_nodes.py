"""YAML text to plain data plus a line map (`loc -> line`), for the spec loader.

Merge keys (`<<: *base`, `<<: [*a, *b]`) work as in YAML 1.1: keys written in the mapping win,
then earlier merged mappings over later ones. A merged value keeps the line where it is written
(the anchored mapping). Every YAML fault (tabs, undefined aliases, unknown tags, duplicate or
unhashable keys) becomes a SpecError naming `file:line` and a fix, never a raw parser error.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import yaml

from swarmstack.errors import SpecError
from swarmstack.spec.interpolate import MissingVariable, interpolate

Loc = tuple[str | int, ...]
MERGE = "tag:yaml.org,2002:merge"
_PLAIN = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
MAX_VALUES = 100_000  # guards against alias expansion ("billion laughs")
_FIXES = (
    ("'\\t'", "indent with spaces; YAML does not allow tabs"),
    ("undefined alias", "define the anchor (`&name`) before the alias (`*name`) that uses it"),
    ("anchor", "write anchors as `&name` and aliases as `*name`, letters, digits, - and _"),
    ("constructor for the tag", "remove the `!tag`: specs hold plain mappings, lists and scalars"),
    ("mapping values are not allowed", "put a space after `:` or quote the value"),
    ("expected <block end>", "line the key up with the keys above it"),
)


def compose(text: str, source: str, env: Mapping[str, str]) -> tuple[Any, dict[Loc, int]]:
    """The data of `text` (interpolated from `env`) and the line of every path in it."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # a character YAML does not allow, found before parsing
        raise yaml_error(exc, source, text) from None
    lines: dict[Loc, int] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            return None, lines
        return _Builder(loader, source, env, lines).build(node, ()), lines
    except yaml.YAMLError as exc:
        raise yaml_error(exc, source, text) from None
    finally:
        loader.dispose()


def yaml_error(exc: yaml.YAMLError, source: str, text: str = "") -> SpecError:
    """A parser or constructor error as `file:line: not valid YAML: ...` with a fix."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark else 1
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[: exc.position].count("\n") + 1
        return SpecError(
            f"not valid YAML: character U+{exc.character:04X} is not allowed in YAML",
            where=f"{source}:{line}",
            fix="remove it, or write it as an escape inside a double-quoted string",
        )
    problem = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    fix = next(
        (f for text, f in _FIXES if text in f"{context} {problem}"), "check indentation and quoting"
    )
    return SpecError(f"not valid YAML: {problem}", where=f"{source}:{line}", fix=fix)


class _Builder:
    def __init__(
        self, loader: yaml.SafeLoader, source: str, env: Mapping[str, str], lines: dict[Loc, int]
    ) -> None:
        self.loader, self.source, self.env, self.lines = loader, source, env, lines
        self.built = 0

    def where(self, node: yaml.Node) -> str:
        return f"{self.source}:{node.start_mark.line + 1}"

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines.setdefault(loc, node.start_mark.line + 1)
        self.built += 1
        if self.built > MAX_VALUES:
            raise SpecError(
                f"the spec expands to more than {MAX_VALUES:,} values",
                where=self.where(node),
                fix="aliases of aliases multiply: define each value once instead of nesting "
                "anchors (a spec is a few hundred values)",
            )
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN:
            raise SpecError(
                f"the tag {node.tag!r} is not allowed",
                where=self.where(node),
                fix="remove the `!tag`: specs hold plain mappings, lists and scalars",
            )
        if isinstance(node, yaml.MappingNode):
            return {k: self.build(v, (*loc, k)) for k, v in self.pairs(node, set()).items()}
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, (*loc, i)) for i, v in enumerate(node.value)]
        return self.scalar(node, loc)

    def pairs(self, node: yaml.MappingNode, seen: set[int]) -> dict[Any, yaml.Node]:
        """Keys to value nodes: the mapping's own keys, then merged ones not already set."""
        if id(node) in seen:
            raise SpecError(
                "a merge key includes its own mapping",
                where=self.where(node),
                fix="merge another anchor",
            )
        own: dict[Any, yaml.Node] = {}
        merged: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                for source in self.merge_sources(key_node, value_node):
                    for key, value in self.pairs(source, seen | {id(node)}).items():
                        merged.setdefault(key, value)
                continue
            key = self.key(key_node)
            if key in own:
                raise SpecError(
                    f"key {key!r} appears twice", where=self.where(key_node), fix="keep one of them"
                )
            own[key] = value_node
        return {**merged, **own}

    def merge_sources(self, key: yaml.Node, node: yaml.Node) -> list[yaml.MappingNode]:
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for item in items:
            if not isinstance(item, yaml.MappingNode):
                raise SpecError(
                    f"`<<` merges mappings only, not the value at line {item.start_mark.line + 1}",
                    where=self.where(key),
                    fix="write `<<: *anchor` or `<<: [*a, *b]` where each anchor is a mapping",
                )
        return list(items)

    def key(self, node: yaml.Node) -> Any:
        key = self.loader.construct_object(node)
        if not isinstance(key, Hashable):
            raise SpecError(
                "a key must be a plain value, not a list or mapping",
                where=self.where(node),
                fix="use a name as the key",
            )
        return key

    def scalar(self, node: yaml.Node, loc: Loc) -> Any:
        value = self.loader.construct_object(node)
        if not isinstance(value, str):
            return value
        try:
            return interpolate(value, self.env)
        except MissingVariable as exc:
            raise SpecError(
                str(exc),
                where=f"{self.source}:{self.lines[loc]} {dotted(loc)}",
                fix=f"set {exc.name} in the environment",
            ) from None


def dotted(loc: Loc) -> str:
    """`agents.a.timeout`, `flow.steps[0]`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
