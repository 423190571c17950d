"""Which keys of the operator's Secret each pod gets, and how. Pure.

Secret values are never rendered: the operator creates the Secret `swarmstack-secrets`
(docs/render.md and docs/security.md give the commands). A rendered Secret object would
be worse than none: `kubectl apply` would overwrite the real values with placeholders, and a
lost `encryption-key` makes every stored value unreadable.

Each pod mounts only the keys it needs, read-only, as files, and finds them through
`<SETTING>_FILE` variables (no value in the environment):
- managers: `store-url`, `admin-key`, `jwt-secret` (signs sign-in tokens), `encryption-key`,
  and `redis-url` with `deploy.redis: true`;
- workers: `store-url`, `encryption-key` (they seal results) and `redis-url`; never the admin
  key or the JWT secret, which would let agent code mint credentials.
KEDA reads `keda-connection` through a TriggerAuthentication.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from swarmstack.render.common import APP, deploy_of, meta
from swarmstack.spec import SwarmSpec

Obj = dict[str, Any]
SECRET = "swarmstack-secrets"  # created by the operator
SECRETS_DIR = "/etc/swarmstack/secrets"
# key of the Secret -> the variable that names its file
VARIABLES = {
    "store-url": "SWARMSTACK_STORE__URL",
    "redis-url": "REDIS_URL",
    "admin-key": "SWARMSTACK_ADMIN_KEY",
    "jwt-secret": "SWARMSTACK_SECURITY__JWT_SECRET",
    "encryption-key": "SWARMSTACK_SECURITY__ENCRYPTION_KEY",
}
MANAGER_ONLY = ("admin-key", "jwt-secret")


def secret_keys(role: str, specs: Sequence[SwarmSpec]) -> list[str]:
    """The keys of the Secret a pod of `role` (manager, worker, worker-canary) mounts."""
    keys = ["store-url"]
    if deploy_of(specs).redis:
        keys.append("redis-url")
    if role == "manager":
        keys += MANAGER_ONLY
    keys.append("encryption-key")
    return keys


def secret_env(role: str, specs: Sequence[SwarmSpec]) -> list[Obj]:
    """`NAME_FILE` variables pointing at the mounted keys of `role`."""
    return [
        {"name": f"{VARIABLES[key]}_FILE", "value": f"{SECRETS_DIR}/{key}"}
        for key in secret_keys(role, specs)
    ]


def secret_volume(role: str, specs: Sequence[SwarmSpec]) -> Obj:
    """The Secret as a volume holding only the keys of `role` (a missing key stops the pod
    from starting, with an event naming it)."""
    items = [{"key": key, "path": key} for key in secret_keys(role, specs)]
    return {
        "name": "secrets",
        "secret": {"secretName": SECRET, "defaultMode": 0o440, "items": items},
    }


def keda_auth() -> Obj:
    """How KEDA reads the queue depth: the store URL from the Secret, never inline."""
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": meta(f"{APP}-store", "autoscaling"),
        "spec": {
            "secretTargetRef": [
                {"parameter": "connection", "name": SECRET, "key": "keda-connection"}
            ]
        },
    }
