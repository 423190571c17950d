"""`swarmstack users|keys|audit`: administration over the manager's admin API (an admin key
or an admin's access token in SWARMSTACK_API_KEY / --api-key).

Keys are printed once, on stdout alone (so `KEY=$(swarmstack keys create ...)` works);
everything else a person reads goes to stderr or a table. `audit verify` exits 1 when the
chain is broken or its head is not the one expected.
"""

from __future__ import annotations

import json
import re
import sys
import time
from typing import Annotated, Any

import typer

from swarmstack.cli.output import HELP, console, row, table
from swarmstack.cli.tasks import DEFAULT_URL, Json, Key, Url, client_for

users_app = typer.Typer(help="Users who sign in with a password.", context_settings=HELP)
keys_app = typer.Typer(
    help="API keys for machines; `rotate-data`: the data key of encryption at rest.",
    context_settings=HELP,
)
audit_app = typer.Typer(help="The tamper-evident audit log.", context_settings=HELP)
Role = Annotated[str, typer.Option("--role", help="admin | operator | submitter | viewer.")]
Tenant = Annotated[str | None, typer.Option(help="Confine the principal to this tenant.")]


def _out(value: Any) -> None:
    sys.stdout.write(json.dumps(value) + "\n")


def _when(at: float | None) -> str:
    return "-" if at is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


# --- users ------------------------------------------------------------------------------------
@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="The name to sign in with.")],
    role: Role,
    tenant: Tenant = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Create a user (asks for the password twice unless --password-stdin)."""
    password = _password(password_stdin)
    body = {"username": username, "password": password, "role": role, "tenant": tenant}
    user = client_for(url, api_key).add_user(body)
    if as_json:
        _out(user)
        return
    console.print(f"user {user['username']} ({user['id']}) added with role {user['role']}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")  # a CRLF line ends the same
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("password")
def users_password(
    user: Annotated[str, typer.Argument(help="Username or id.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Set a user's password: clears a lock; its tokens stop working."""
    found = client_for(url, api_key).set_password(user, _password(password_stdin))
    if as_json:
        _out(found)
        return
    console.print(f"password of {found['username']} set; its earlier sign-ins are ended")


@users_app.command("list")
def users_list(url: Url = DEFAULT_URL, api_key: Key = None, as_json: Json = False) -> None:
    """Every user with its role, tenant, state and last sign-in."""
    users = client_for(url, api_key).users()
    if as_json:
        _out(users)
        return
    found = table("user", "id", "role", "tenant", "state", "last sign-in", title="users")
    now = time.time()
    for u in users:
        state = "disabled" if u["disabled"] else "active"
        if (u["locked_until"] or 0) > now:
            state += f", locked until {_when(u['locked_until'])}"
        last = _when(u["last_login_at"])
        row(found, u["username"], u["id"], u["role"], u["tenant"] or "-", state, last)
    console.print(found)


def _set_user(verb: str, ref: str, url: str, api_key: str | None, as_json: bool) -> None:
    user = client_for(url, api_key).set_user(ref, verb)
    if as_json:
        _out(user)
        return
    console.print(f"user {user['username']} {verb}d")


@users_app.command("disable")
def users_disable(
    user: Annotated[str, typer.Argument(help="Username or id.")],
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Disable a user: its tokens stop working and it cannot sign in."""
    _set_user("disable", user, url, api_key, as_json)


@users_app.command("enable")
def users_enable(
    user: Annotated[str, typer.Argument(help="Username or id.")],
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Enable a disabled user."""
    _set_user("enable", user, url, api_key, as_json)


# --- keys -------------------------------------------------------------------------------------
@keys_app.command("create")
def keys_create(
    role: Role,
    name: Annotated[str, typer.Option(help="What the key is for (shown in lists and audit).")],
    expires: Annotated[
        str | None,
        typer.Option(help="Lifetime: 30d, 12h, 90m, or seconds (default: no expiry)."),
    ] = None,
    description: Annotated[str | None, typer.Option(help="A longer note.")] = None,
    tenant: Tenant = None,
    rate_limit: Annotated[float | None, typer.Option(help="Requests per second.")] = None,
    max_queued: Annotated[int | None, typer.Option(help="Queued tasks at once.")] = None,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Create an API key and print it once on stdout (only its hash is stored)."""
    body = {
        "name": name, "role": role, "expires_in": expires, "description": description,
        "tenant": tenant, "rate_limit": rate_limit, "max_queued": max_queued,
    }  # fmt: skip
    made = client_for(url, api_key).create_key({k: v for k, v in body.items() if v is not None})
    if as_json:
        _out(made)
        return
    sys.stdout.write(made["key"] + "\n")
    info = made["info"]
    expiry = f", expires {_when(info['expires_at'])}" if info["expires_at"] else ""
    sys.stderr.write(
        f"API key {info['id']} ({info['role']}{expiry}) printed above: shown once, "
        "only its hash is stored\n"
    )


@keys_app.command("list")
def keys_list(
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked keys.")] = False,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """API keys with their prefix, role, expiry and last use (never the key)."""
    keys = client_for(url, api_key).keys(include_revoked=revoked)
    if as_json:
        _out(keys)
        return
    found = table("id", "name", "prefix", "role", "tenant", "expires", "last used", title="keys")
    for k in keys:
        name = k["name"] + (" (revoked)" if k["revoked"] else "")
        row(found, k["id"], name, f"{k['prefix'] or '?'}…", k["role"], k["tenant"] or "-",
            _when(k["expires_at"]), _when(k["last_used_at"]))  # fmt: skip
    console.print(found)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (k_...), from `keys list`.")],
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    info = client_for(url, api_key).revoke_key(key_id)
    if as_json:
        _out(info)
        return
    console.print(f"key {info['id']} ({info['name']}) revoked")


# --- audit ------------------------------------------------------------------------------------
@audit_app.command("list")
def audit_list(
    limit: Annotated[int, typer.Option(help="Entries to show.", min=1, max=1000)] = 50,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. deploy.")] = None,
    principal: Annotated[str | None, typer.Option(help="Only this principal.")] = None,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Audit entries, newest first."""
    page = client_for(url, api_key).audit(limit=limit, action=action, principal=principal)
    if as_json:
        _out(page)
        return
    found = table("id", "time", "principal", "action", "target", "source", "result", title="audit")
    for e in page["items"]:
        row(found, e["id"], _when(e["at"]), e["principal"], e["action"], e["target"],
            e["source"], e["result"])  # fmt: skip
    console.print(found)


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[
        str | None,
        typer.Option(
            help="A head hash printed by an earlier verify: finds deleted newest entries."
        ),
    ] = None,
    url: Url = DEFAULT_URL,
    api_key: Key = None,
    as_json: Json = False,
) -> None:
    """Walk the hash chain; exit 1 if an entry was edited, deleted or inserted."""
    if expect_head is not None and not re.fullmatch(r"[0-9a-f]{64}", expect_head):
        raise typer.BadParameter(
            "a head is the 64 hex characters `audit verify` printed", param_hint="--expect-head"
        )
    client = client_for(url, api_key)
    verdict = client.verify_audit()
    if expect_head and verdict["ok"]:
        verdict = _check_head(client, verdict, expect_head)
    if as_json:
        _out(verdict)
    elif verdict["ok"]:
        console.print(f"audit log intact: {verdict['entries']} entries, head {verdict['head']}")
    else:
        console.print(f"[bold red]audit log broken at entry {verdict['broken_at']}[/]: "
                      f"{verdict['reason']}")  # fmt: skip
    if not verdict["ok"]:
        raise typer.Exit(1)


def _check_head(client: Any, verdict: dict[str, Any], expected: str) -> dict[str, Any]:
    """The verdict, failed when no entry has hash `expected` (entries after it were dropped
    and the chain was cut back to before it)."""
    if verdict["head"] == expected:
        return verdict
    before = None
    while True:
        page = client.audit(limit=1000, before=before)
        if any(e["hash"] == expected for e in page["items"]):
            return verdict
        if page["next_before"] is None:
            break
        before = page["next_before"]
    reason = (
        f"no entry has the expected head {expected[:16]}…: it, or entries before it, were "
        "deleted or rewritten"
    )
    return {**verdict, "ok": False, "broken_at": None, "reason": reason}
