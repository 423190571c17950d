"""Names of rendered objects, valid in their target and one-to-one with the user's names.

Kubernetes object names and label values allow at most 63 characters of `[a-z0-9-]`, starting
and ending with a letter or digit. A user's name that already fits is kept as it is; any other
(too long, `_`, upper case, leading or trailing `-`) is cleaned, cut and given a short hash of
the original, so two different names never render to one object. Called by the renderers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from swarmstack.errors import InvalidInput

DNS_LABEL_MAX = 63
HASH_CHARS = 8
APP = "swarmstack"
WORKER_PREFIX = f"{APP}-worker-"
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def is_dns_label(name: str) -> bool:
    """True for an RFC 1123 label: 1-63 of `[a-z0-9-]`, a letter or digit at each end."""
    return len(name) <= DNS_LABEL_MAX and _LABEL.match(name) is not None


def safe_name(name: str, max_len: int = DNS_LABEL_MAX) -> str:
    """`name` if it is a DNS label of at most `max_len` characters; else a cleaned, cut form
    ending in `-` and a hash of `name` (deterministic, and different for different names)."""
    if len(name) <= max_len and is_dns_label(name):
        return name
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    digest = hashlib.sha256(name.encode()).hexdigest()[:HASH_CHARS]
    head = cleaned[: max_len - HASH_CHARS - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def worker_name(swarm: str) -> str:
    """The name of a swarm's worker Deployment, Service, budget and autoscaler (a DNS label
    that starts with a letter, as Service names must)."""
    return WORKER_PREFIX + safe_name(swarm, DNS_LABEL_MAX - len(WORKER_PREFIX))


def swarm_label(swarm: str) -> str:
    """The `swarmstack.dev/swarm` label value of a swarm's objects."""
    return safe_name(swarm)


def check_distinct(swarms: Iterable[str]) -> None:
    """Refuse swarms whose rendered names would meet (a guard; hashes make it all but
    impossible)."""
    seen: dict[str, str] = {}
    for swarm in swarms:
        for derived in (worker_name(swarm), "label:" + swarm_label(swarm)):
            if derived in seen and seen[derived] != swarm:
                raise InvalidInput(
                    f"swarms {seen[derived]!r} and {swarm!r} render to the same name "
                    f"{derived.removeprefix('label:')!r}",
                    fix="rename one of the swarms",
                )
            seen[derived] = swarm
