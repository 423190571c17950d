"""A spec's identity: its content hash and its version label. Pure.

The content hash is SHA-256 over the spec's canonical JSON (sorted keys, no spaces), so the same
spec deployed twice is recognised whatever its YAML layout. The version label is the spec's
`release` when one is set, else the first 12 hex digits of the hash; a `release` already used by
other content of the swarm gets the hash as semver build metadata (`1.4.0+3f2a9c1b04de`), so a
label always names one content and a changed spec never overwrites a version.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from swarmstack.spec import SwarmSpec

DEFAULT_RELEASE = "0.0.0"  # the spec's default `release`: treated as "not set"


def spec_document(spec: SwarmSpec) -> dict[str, Any]:
    """The spec as stored: JSON-able, durations as strings, `${secret:NAME}` kept as references."""
    document: dict[str, Any] = spec.model_dump(mode="json")
    return document


def content_hash(document: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of `document`."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def version_label(release: str, digest: str, *, release_taken: bool = False) -> str:
    """The version label for a spec with `release` and content hash `digest` (at most 64
    characters, the store's limit)."""
    if release == DEFAULT_RELEASE:
        return digest[:12]
    if release_taken:
        return f"{release[:50]}+{digest[:12]}"
    return release[:64]
