"""`swarmstack config show`: the effective settings, where each came from, secrets masked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from rich.table import Table

from swarmstack.cli.output import console, mask_url
from swarmstack.settings import Settings, load_layers, setting_keys

app = typer.Typer(no_args_is_help=True, help="Inspect runtime settings.")
SECRET_KEYS = frozenset({"store.url", "redis.url", "security.admin_key"})


@app.command("show")
def show(
    config: Annotated[
        Path | None, typer.Option(help="config.toml to read (default: ./config.toml).")
    ] = None,
    env_file: Annotated[Path | None, typer.Option(help=".env file (default: ./.env).")] = None,
) -> None:
    """Print every setting with its value and source (defaults < config.toml < .env < env)."""
    loaded = load_layers(config_file=config, env_file=env_file)
    table = Table("setting", "value", "source")
    for key in setting_keys():
        value = _masked(key, _value(loaded.settings, key))
        table.add_row(key, value, loaded.sources.get(key, "default"))
    console.print(table)
    for notice in loaded.notices:
        console.print(f"[yellow]note:[/] {notice}", highlight=False)


def _value(settings: Settings, dotted: str) -> Any:
    node: Any = settings
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def _masked(key: str, value: Any) -> str:
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if not secret:
            return "-"
        return mask_url(secret) if "://" in secret else "********"
    if value is None or value == "":
        return "-"
    if key in SECRET_KEYS and isinstance(value, str):
        return mask_url(value)
    return str(value)
