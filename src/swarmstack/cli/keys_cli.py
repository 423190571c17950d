"""`swarmstack rotate-admin-key`: a new admin key for a store whose key was lost; every earlier
admin key is revoked. Runs against the store directly (no manager needs to be up)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from swarmstack.cli.node import run_loop
from swarmstack.core.ids import new_api_key
from swarmstack.node import install_admin_key
from swarmstack.settings import load_settings
from swarmstack.store import open_store


def rotate_admin_key(
    data_dir: Annotated[
        Path | None, typer.Option(help="Embedded store directory (as given to `up`).")
    ] = None,
) -> None:
    """Create a new admin key, revoke the earlier ones, and print the new key once (stdout).

    Uses the store of the settings (SWARMSTACK_STORE__URL, or SQLite under --data-dir), which
    must exist: exit 1, creating nothing, when it does not."""
    settings = load_settings(data_dir=data_dir)
    key = new_api_key()

    revoked: list[int] = []

    async def rotate() -> None:
        store = await open_store(settings.store_url(), existing=True)
        try:
            revoked.append(await install_admin_key(store, key, by="cli:rotate-admin-key"))
        finally:
            await store.close()

    run_loop(rotate())
    sys.stdout.write(key + "\n")
    sys.stderr.write(
        f"new admin API key printed above (shown once); {revoked[0]} earlier admin key(s) "
        "revoked (a running manager stops accepting them within 10 s)\n"
    )
