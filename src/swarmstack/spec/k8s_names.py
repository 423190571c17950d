"""Spec fields that become Kubernetes names as they are written (namespaces, Secrets, overlay
and region names): checked at `swarmstack validate` time, with the limit and a fix."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

LABEL_MAX = 63
SUBDOMAIN_MAX = 253
_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"


def _suggest(value: str, limit: int, dots: bool) -> str:
    keep = r"[^a-z0-9.-]+" if dots else r"[^a-z0-9-]+"
    cleaned = re.sub(keep, "-", value.lower()).strip("-.")[:limit].rstrip("-.")
    return f"; e.g. {cleaned!r}" if cleaned else ""


def dns_label(value: str) -> str:
    """`value` if it is a DNS-1123 label, else a ValueError naming the value, rule and fix."""
    if len(value) <= LABEL_MAX and re.match(_LABEL, value):
        return value
    raise ValueError(
        f"{value!r} is not a valid Kubernetes name ({len(value)} characters): use at most "
        f"{LABEL_MAX} lowercase letters, digits and '-', starting and ending with a letter or "
        f"digit{_suggest(value, LABEL_MAX, dots=False)}"
    )


def dns_subdomain(value: str) -> str:
    """`value` if it is a DNS-1123 subdomain (dot-separated labels, at most 253 chars)."""
    parts_fit = all(len(part) <= LABEL_MAX for part in value.split("."))
    if len(value) <= SUBDOMAIN_MAX and parts_fit and re.match(_SUBDOMAIN, value):
        return value
    raise ValueError(
        f"{value!r} is not a valid Kubernetes name ({len(value)} characters): use at most "
        f"{SUBDOMAIN_MAX} lowercase letters, digits, '-' and '.', each part starting and ending "
        f"with a letter or digit{_suggest(value, SUBDOMAIN_MAX, dots=True)}"
    )


DnsLabel = Annotated[
    str,
    AfterValidator(dns_label),
    Field(json_schema_extra={"pattern": _LABEL, "maxLength": LABEL_MAX}),
]
DnsSubdomain = Annotated[
    str,
    AfterValidator(dns_subdomain),
    Field(json_schema_extra={"pattern": _SUBDOMAIN, "maxLength": SUBDOMAIN_MAX}),
]
