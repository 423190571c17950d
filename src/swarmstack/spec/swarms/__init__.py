"""Importing Swarms definitions (kyegomez/swarms and its hosted API) as swarmstack specs.

Public API: `import_text` (file text to an `Imported` spec document), `spec_yaml` (the
document as a spec file that `swarmstack validate` accepts), `runnable` (the document as a
`SwarmSpec` for the Swarms API adapter), `SUPPORTED` (swarm types). Called by `cli/import_cli.py`
and the Swarms API adapter; see docs/swarms.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from swarmstack.errors import SpecError
from swarmstack.spec.swarm import SwarmSpec
from swarmstack.spec.swarms.agents import convert_agent
from swarmstack.spec.swarms.convert import Imported, convert
from swarmstack.spec.swarms.types import SUPPORTED

DEFAULT_BASE_URL = "https://api.openai.com/v1"
FILE_BASE_URL = "${OPENAI_BASE_URL:-https://api.openai.com/v1}"
API_KEY = "${secret:OPENAI_API_KEY}"


def import_text(text: str, source: str, default_name: str = "imported") -> Imported:
    """The spec document of the Swarms definition `text` read from `source`."""
    if text.lstrip().startswith("---"):
        return read_markdown(text, source, default_name)
    try:
        doc = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SpecError(
            f"is not valid JSON or YAML: {_reason(exc)}",
            where=source,
            fix="fix the syntax at that line (an editor with a YAML/JSON mode shows it)",
        ) from None
    return convert(doc, source, default_name)


def read_markdown(text: str, source: str, default_name: str) -> Imported:
    """A markdown agent: YAML front matter between `---` lines, then the system prompt."""
    _, sep, rest = text.lstrip().partition("---")
    front, sep, body = rest.partition("\n---")
    if not sep:
        raise SpecError(
            "has no closing --- after its front matter",
            where=source,
            fix="end the front matter with a line holding only ---",
        )
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as exc:
        raise SpecError(f"front matter is not valid YAML: {_reason(exc)}", where=source) from None
    if not isinstance(meta, dict):
        raise SpecError("front matter is not a mapping", where=source, fix="write name: ...")
    prompt = body.partition("\n")[2].strip() if body.startswith("-") else body.strip()
    if not prompt:
        raise SpecError("has no prompt after its front matter", where=source, fix="write one")
    meta = {"agent_name": meta.pop("name", default_name), **meta, "system_prompt": prompt}
    meta.pop("tools", None)  # Claude Code sub-agent tools; Swarms ignores them too
    return convert({"agents": [meta], "name": meta["agent_name"]}, source, default_name)


def spec_yaml(imported: Imported, routes: Mapping[str, str] | None = None) -> str:
    """The spec file: user text escaped (`$${`), each agent on its model's route (settings
    `llm.routes`) or the OpenAI SDK's endpoint variables, the notes as comments at the top."""
    spec = _escaped(imported.spec)
    for agent in spec["agents"].values():
        route = (routes or {}).get(agent["model"].replace("$${", "${"))
        agent.update(base_url=route.replace("${", "$${") if route else FILE_BASE_URL)
        agent.update(api_key=API_KEY)
    head = "".join(f"# note: {n}\n" for n in imported.notes)
    if imported.task:
        head += f"# task: {' '.join(imported.task.split())}\n"
    return (
        "# imported from Swarms by `swarmstack import swarms`\n"
        + head
        + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)
    )


def runnable(
    imported: Imported,
    env: Mapping[str, str],
    where: str,
    routes: Mapping[str, str] | None = None,
) -> SwarmSpec:
    """The SwarmSpec to run now, each agent on its model's route, else on the endpoint `env`
    names (OPENAI_BASE_URL); user text is never interpolated."""
    spec = json.loads(json.dumps(imported.spec))
    base_url = env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    for agent in spec["agents"].values():
        agent.update(base_url=(routes or {}).get(agent["model"], base_url), api_key=API_KEY)
    return validated(spec, where)


def validated(spec: dict[str, Any], where: str) -> SwarmSpec:
    """`spec` as a SwarmSpec, or a SpecError listing each problem by its path."""
    try:
        return SwarmSpec.model_validate(spec)
    except ValidationError as exc:
        problems = [f"  {_path(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise SpecError(
            "does not make a valid swarmstack spec", where=where, problems=problems
        ) from None


def _path(loc: tuple[int | str, ...]) -> str:
    """`agents.a.temperature` for pydantic's `agents.a.llm.temperature` (the union tag)."""
    parts = [str(p) for p in loc]
    tag = {"agents": 2, "flow": 1}.get(parts[0] if parts else "")
    if tag is not None and len(parts) > tag + 1:
        del parts[tag]
    return ".".join(parts) or "spec"


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


def _reason(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}: {getattr(exc, 'problem', exc)}"
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}: {exc.msg}"
    return str(exc)


__all__ = ["SUPPORTED", "Imported", "convert_agent", "import_text", "runnable", "spec_yaml"]
