"""What `up` and `serve` print once they listen: the URL, the admin key when one was just
generated (a key given by the environment is never printed), and a curl line that works when
pasted into a POSIX shell."""

from __future__ import annotations

import shlex

from swarmstack.cli.node import Banner
from swarmstack.cli.output import console, escape, mask_url
from swarmstack.node import AdminKey

LOST_KEY_HINT = (
    "admin API key: created on the first start and printed then (only its hash is stored). "
    "Lost it? Run `swarmstack rotate-admin-key` (same --data-dir or store) for a new one, or "
    "start with SWARMSTACK_SECURITY__ADMIN_KEY=<a key of your own>; either revokes the old key."
)
ENV_KEY_NOTE = "admin API key: the one set in SWARMSTACK_SECURITY__ADMIN_KEY (not printed)"
SAMPLE_INPUT = "Urgent: login fails for ops@example.com since the outage"


def key_lines(admin: AdminKey) -> list[str]:
    """Plain text lines about the admin key."""
    if admin.shown is not None:
        return [f"admin API key (shown once, only its hash is stored): {admin.shown}"]
    if admin.source == "environment":
        return [ENV_KEY_NOTE]
    return [LOST_KEY_HINT]


def curl_line(url: str, swarm: str, admin: AdminKey) -> str:
    """A curl command that submits a sample task (the key expands from the environment)."""
    auth = (
        shlex.quote(f"Authorization: Bearer {admin.shown}")
        if admin.shown
        else '"Authorization: Bearer $SWARMSTACK_API_KEY"'
    )
    body = '{"swarm": "%s", "input": {"text": "%s"}}' % (swarm, SAMPLE_INPUT)  # noqa: UP031
    return (
        f"curl -s -X POST {shlex.quote(f'{url}/api/v1/tasks?wait=10')} -H {auth} "
        f"-H 'Content-Type: application/json' -d {shlex.quote(body)}"
    )


def print_banner(info: Banner, store_url: str) -> None:
    """The start-up lines of `up`."""
    console.print(
        f"[bold green]swarmstack is up[/] at {escape(info.url)}  "
        f"(store: {escape(mask_url(store_url))})",
        soft_wrap=True,
    )
    for line in [*key_lines(info.admin_key), *([info.encryption] if info.encryption else [])]:
        console.print(escape(line), soft_wrap=True, highlight=False)
    if info.admin_key.shown is None:
        console.print("submit a task (export SWARMSTACK_API_KEY=<admin key> first):")
    else:
        console.print("submit a task:")
    console.print(
        "  " + escape(curl_line(info.url, info.swarm, info.admin_key)),
        soft_wrap=True,
        highlight=False,
    )
