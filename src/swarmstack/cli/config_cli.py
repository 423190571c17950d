"""`swarmstack config show`: the effective settings, where each came from, secrets masked."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from swarmstack.cli.output import HELP, console, escape, mask_url, note, row, table
from swarmstack.settings import Settings, load_layers, setting_keys
from swarmstack.settings.models import LIVE_SETTINGS

app = typer.Typer(no_args_is_help=True, help="Inspect runtime settings.", context_settings=HELP)
SECRET_KEYS = frozenset(
    {
        "store.url",
        "redis.url",
        "security.admin_key",
        "security.encryption_key",
        "security.encryption_previous_keys",
        "security.jwt_secret",
        "security.jwt_previous_secrets",
    }
)


@app.command("show")
def show(
    config: Annotated[
        Path | None, typer.Option(help="config.toml to read (default: ./config.toml).")
    ] = None,
    env_file: Annotated[Path | None, typer.Option(help=".env file (default: ./.env).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Print every setting with its value and source (defaults < config.toml < .env < env)."""
    loaded = load_layers(config_file=config, env_file=env_file)
    rows = [
        (key, masked(key, value_of(loaded.settings, key)), loaded.sources.get(key, "default"))
        for key in setting_keys()
    ]
    if as_json:
        settings = [
            {"setting": k, "value": v, "source": s, "live": k in LIVE_SETTINGS} for k, v, s in rows
        ]
        sys.stdout.write(json.dumps({"settings": settings, "notices": loaded.notices}) + "\n")
        return
    found = table("setting", "value", "source")
    for key, value, source in rows:
        row(found, key, value, source)
    console.print(found)
    live = ", ".join(sorted(LIVE_SETTINGS))
    console.print(
        escape(f"applied on SIGHUP without a restart: {live}; the others at restart"),
        highlight=False,
    )
    for notice in loaded.notices:
        note(notice)


def value_of(settings: Settings, dotted: str) -> Any:
    """The setting at `dotted` (`store.url`)."""
    node: Any = settings
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def masked(key: str, value: Any) -> str:
    """A setting's value as shown: secrets masked, URLs without their password."""
    if isinstance(value, list) and (
        key in SECRET_KEYS or any(isinstance(v, SecretStr) for v in value)
    ):
        return f"******** ({len(value)})" if value else "-"
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if not secret:
            return "-"
        return mask_url(secret) if "://" in secret else "********"
    if isinstance(value, list) and any(isinstance(v, SecretStr) for v in value):
        return f"******** ({len(value)})"
    if value is None or value == "" or value == []:
        return "-"
    if key in SECRET_KEYS and isinstance(value, str):
        return mask_url(value)
    return str(value)
