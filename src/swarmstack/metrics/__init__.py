"""Prometheus metrics named `swarmstack_*`; the one place metric names are defined.

Renderers (alert rules, dashboards) import `METRIC_NAMES` so what they reference is what the
code exports; a test compares both with a live /metrics.
"""

from swarmstack.metrics.registry import METRIC_NAMES, Metrics, metrics

__all__ = ["METRIC_NAMES", "Metrics", "metrics"]
