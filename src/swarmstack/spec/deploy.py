"""Where and how a swarm is deployed: image, environments, regions, ingress and alerting.

Used by the renderers; the runtime ignores this section.
"""

from __future__ import annotations

from ipaddress import ip_network

from pydantic import Field, field_validator, model_validator

from swarmstack.spec.base import SpecModel
from swarmstack.spec.k8s_names import DnsLabel, DnsSubdomain


def ip_networks(value: list[str]) -> list[str]:
    """`value` when each entry is an IP address or CIDR block; ValueError naming the first
    that is not (trusted proxies, in the spec and in the settings alike)."""
    for entry in value:
        try:
            ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR block") from None
    return value


class Region(SpecModel):
    """A region with a share of global traffic (the seed's multi-region weights)."""

    name: DnsLabel = Field(description="Region name, e.g. us-east-1 (a DNS label).")
    endpoint: str = Field(description="Public endpoint of the region.")
    weight: int = Field(ge=0, le=100, description="Percent of traffic sent to the region.")


class Environment(SpecModel):
    """Overrides for one deployment environment (one kustomize overlay)."""

    manager_replicas: int | None = Field(None, ge=1, description="Manager replicas here.")
    min_replicas: int | None = Field(None, ge=0, description="Fewest worker replicas here.")
    max_replicas: int | None = Field(None, ge=1, description="Most worker replicas here.")
    host: str | None = Field(None, description="Ingress host here.")


class Ingress(SpecModel):
    """Public HTTP entry to the manager."""

    host: str = Field("swarm.example.com", description="DNS name served.")
    class_name: DnsSubdomain = Field("nginx", description="ingressClassName.")
    tls_secret: DnsSubdomain = Field(
        "swarmstack-tls", description="Secret holding the TLS certificate."
    )
    controller_namespace: DnsLabel = Field(
        "ingress-nginx", description="Namespace of the ingress controller (allowed in)."
    )
    monitoring_namespace: DnsLabel = Field(
        "monitoring", description="Namespace of Prometheus (allowed to scrape)."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDR blocks of the ingress controller's pods: managers believe "
        "their X-Forwarded-For for per-source rate limits (empty: they believe none).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return ip_networks(value)


class Receiver(SpecModel):
    """An Alertmanager receiver."""

    name: str = Field(description="Receiver name.")
    email: str | None = Field(None, description="Email address to notify.")
    webhook_url: str | None = Field(None, description="Webhook URL to call.")


class Alerting(SpecModel):
    """Alert routing (the seed's alertmanager.yml)."""

    smtp_smarthost: str = Field("smtp.example.com:587", description="SMTP relay host:port.")
    smtp_from: str = Field("alerts@example.com", description="Sender address.")
    receivers: list[Receiver] = Field(
        default_factory=lambda: [Receiver(name="team-swarms", email="swarms-team@example.com")],
        description="Receivers; the first is the default route.",
    )
    error_rate_threshold: float = Field(0.05, ge=0, le=1, description="Alert above this.")
    p95_latency_threshold: float = Field(10.0, gt=0, description="Alert above (seconds).")
    queue_depth_threshold: int = Field(1000, gt=0, description="Alert above this backlog.")
    sla_success_ratio: float = Field(0.99, gt=0, le=1, description="SLA success objective.")


class Deploy(SpecModel):
    """Deployment target of the swarm."""

    namespace: DnsLabel = Field("swarmstack", description="Namespace (a DNS label).")
    image: str = Field("ghcr.io/swarmstack/swarmstack:0.1.0", description="Container image.")
    image_digest: str | None = Field(
        None, pattern=r"^sha256:[a-f0-9]{64}$", description="Pin the image by digest."
    )
    code_version: str | None = Field(
        None,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The code this version needs (usually the image tag). Workers declare the "
        "code they carry (worker.code_version) and run only versions whose code_version is unset "
        "or theirs; `render --canary` gives a new code version its own worker pods.",
    )
    manager_replicas: int = Field(2, ge=1, description="Manager replicas.")
    environments: dict[DnsLabel, Environment] = Field(
        default_factory=lambda: {"production": Environment()},
        description="Environments, one overlay each (names are DNS labels).",
    )
    regions: list[Region] = Field(default_factory=list, description="Multi-region weights.")
    ingress: Ingress = Field(default_factory=Ingress, description="Public entry.")
    redis: bool = Field(
        False,
        description="Use Redis for signals, the result cache and rate limits shared by the "
        "managers (Secret key redis-url).",
    )
    llm_egress_cidrs: list[str] = Field(
        default_factory=lambda: ["0.0.0.0/0"], description="Where LLM endpoints may be reached."
    )
    alerting: Alerting = Field(default_factory=Alerting, description="Alert routing.")

    @model_validator(mode="after")
    def _distinct_overlays(self) -> Deploy:
        """Every environment and region renders to its own overlay directory."""
        regions = [r.name for r in self.regions]
        twice = sorted({r for r in regions if regions.count(r) > 1})
        if twice:
            raise ValueError(f"deploy.regions names {twice} more than once; keep one of each")
        for region in regions:
            if f"region-{region}" in self.environments:
                raise ValueError(
                    f"deploy.environments.region-{region} and region {region!r} would share "
                    f"overlays/region-{region}; rename the environment"
                )
        return self
