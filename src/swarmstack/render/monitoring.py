"""Prometheus scrape config, alert rules (with a promtool test per alert), Alertmanager routes
and a Grafana dashboard, all over the metrics the runtime really exports."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from swarmstack.render.common import APP, PORT, deploy_of, labels
from swarmstack.spec import SwarmSpec

Obj = dict[str, Any]
RUNBOOK = "https://swarmstack.dev/runbooks#"
_METRIC = re.compile(r"\bswarmstack_[a-z_]+")


def alert_rules(specs: Sequence[SwarmSpec]) -> list[Obj]:
    """The seed's key alerts, thresholds from the first spec's `deploy.alerting`."""
    a = deploy_of(specs).alerting
    finished = "sum by (swarm) (rate(swarmstack_tasks_finished_total[5m]))"
    failed = 'sum by (swarm) (rate(swarmstack_tasks_finished_total{status!="succeeded"}[5m]))'
    ok_1h = 'sum by (swarm) (increase(swarmstack_tasks_finished_total{status="succeeded"}[1h]))'
    all_1h = "sum by (swarm) (increase(swarmstack_tasks_finished_total[1h]))"
    p95 = (
        "histogram_quantile(0.95, sum by (le, swarm) "
        "(rate(swarmstack_task_latency_seconds_bucket[5m])))"
    )
    return [
        rule(
            "SwarmstackHighErrorRate",
            f"{failed} / {finished} > {a.error_rate_threshold}",
            "5m",
            "critical",
            f"More than {a.error_rate_threshold:.0%} of {{{{ $labels.swarm }}}} tasks fail",
        ),
        rule(
            "SwarmstackHighLatency",
            f"{p95} > {a.p95_latency_threshold}",
            "10m",
            "warning",
            f"p95 task latency of {{{{ $labels.swarm }}}} is above {a.p95_latency_threshold}s",
        ),
        rule(
            "SwarmstackQueueBacklog",
            f"max by (swarm) (swarmstack_queue_depth) > {a.queue_depth_threshold}",
            "10m",
            "warning",
            f"More than {a.queue_depth_threshold} {{{{ $labels.swarm }}}} tasks wait",
        ),
        rule(
            "SwarmstackManagerDown",
            f'up{{job="{APP}-manager"}} == 0',
            "2m",
            "critical",
            "A swarmstack manager does not answer scrapes",
        ),
        rule(
            "SwarmstackWorkerDown",
            f'up{{job=~"{APP}-worker.*"}} == 0',
            "2m",
            "critical",
            "A swarmstack worker does not answer scrapes",
        ),
        rule(
            "SwarmstackNoWorkers",
            "max(swarmstack_workers) < 1",
            "5m",
            "critical",
            "No worker has heartbeated; queued tasks are not running",
        ),
        rule(
            "SwarmstackBudgetOverruns",
            "sum by (swarm) (increase(swarmstack_budget_exceeded_total[15m])) > 0",
            "0m",
            "warning",
            "Tasks of {{ $labels.swarm }} hit their LLM budget",
        ),
        rule(
            "SwarmstackSLABreach",
            f"{ok_1h} / {all_1h} < {a.sla_success_ratio}",
            "15m",
            "critical",
            f"{{{{ $labels.swarm }}}} succeeds less than {a.sla_success_ratio:.1%}",
        ),
        rule(
            "SwarmstackStoreBeyondRetention",
            "max by (status) (swarmstack_store_oldest_finished_age_seconds) > on (status) "
            "(1.1 * max by (status) (swarmstack_retention_seconds) + 3600)",
            "30m",
            "warning",
            "The store keeps {{ $labels.status }} tasks past their retention; it keeps growing",
        ),
        rule(
            "SwarmstackRolloutAborted",
            'max by (swarm) (swarmstack_rollout_phase{phase="aborted"}) == 1',
            "0m",
            "warning",
            "The rollout of {{ $labels.swarm }} was aborted; new tasks go to its stable version",
        ),
        rule(
            "SwarmstackVersionUnrunnable",
            "max by (swarm, version) (swarmstack_versions_unrunnable) == 1",
            "5m",
            "critical",
            "Tasks of {{ $labels.swarm }} {{ $labels.version }} wait: no live worker runs it",
        ),
    ]


def rule(name: str, expr: str, for_: str, severity: str, summary: str) -> Obj:
    slug = re.sub(r"(?<!^)(?=[A-Z])", "-", name.removeprefix("Swarmstack")).lower()
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {
            "summary": summary,
            "runbook_url": RUNBOOK + slug,
            "runbook": RUNBOOKS[name],
        },
    }


RUNBOOKS = {
    "SwarmstackHighErrorRate": "Read attempt_errors of failed tasks (swarmstack tasks list "
    "--status failed); roll back the swarm's last release if it started then.",
    "SwarmstackHighLatency": "Check queue depth and worker CPU; scale workers or raise "
    "runtime.max_concurrent; check the LLM provider's latency.",
    "SwarmstackQueueBacklog": "Check that workers run (swarmstack status) and scale them.",
    "SwarmstackManagerDown": "Check the manager pods' logs and the store's reachability.",
    "SwarmstackWorkerDown": "Check the worker pods' logs; their leased tasks re-run elsewhere.",
    "SwarmstackNoWorkers": "Start workers; until then tasks queue but none run.",
    "SwarmstackBudgetOverruns": "Inspect the tasks that hit budget_exceeded; raise the budget "
    "or fix the runaway agent.",
    "SwarmstackSLABreach": "Find the failing swarm in the error-rate panel and act on it.",
    "SwarmstackStoreBeyondRetention": "Run `swarmstack store stats` and `swarmstack store prune "
    "--dry-run`; check the leader manager's logs for failing retention rounds and that "
    "retention.enabled is true.",
    "SwarmstackRolloutAborted": "Run `swarmstack rollout status SWARM`: the failed analysis "
    "names the check and its measured value; fix the version and deploy again, or "
    "`swarmstack rollout retry SWARM`.",
    "SwarmstackVersionUnrunnable": "Start workers that carry the version's code "
    "(SWARMSTACK_WORKER__CODE_VERSION), or roll back: `swarmstack rollback SWARM`.",
}


def rules_file(specs: Sequence[SwarmSpec]) -> Obj:
    return {"groups": [{"name": APP, "rules": alert_rules(specs)}]}


def prometheus_rule(specs: Sequence[SwarmSpec]) -> Obj:
    """The alert rules as a PrometheusRule object (Prometheus Operator)."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": APP, "labels": labels("monitoring")},
        "spec": rules_file(specs),
    }


def rules_test(specs: Sequence[SwarmSpec]) -> Obj:
    """A promtool unit test that fires every alert from synthetic series."""
    a = deploy_of(specs).alerting
    bad = max(1, round(100 * a.error_rate_threshold) + 10)
    series = [
        {
            "series": 'swarmstack_tasks_finished_total{swarm="s",status="succeeded"}',
            "values": f"0+{100 - bad}x60",
        },
        {
            "series": 'swarmstack_tasks_finished_total{swarm="s",status="failed"}',
            "values": f"0+{bad}x60",
        },
        {
            "series": 'swarmstack_task_latency_seconds_bucket{swarm="s",le="+Inf"}',
            "values": "0+10x60",
        },
        {
            "series": "swarmstack_task_latency_seconds_bucket"
            f'{{swarm="s",le="{a.p95_latency_threshold}"}}',
            "values": "0+0x60",
        },
        {
            "series": "swarmstack_task_latency_seconds_bucket"
            f'{{swarm="s",le="{a.p95_latency_threshold * 4}"}}',
            "values": "0+10x60",
        },
        {
            "series": 'swarmstack_queue_depth{swarm="s"}',
            "values": f"{a.queue_depth_threshold + 1}x60",
        },
        {"series": f'up{{job="{APP}-manager"}}', "values": "0x60"},
        {"series": f'up{{job="{APP}-worker-s"}}', "values": "0x60"},
        {"series": "swarmstack_workers", "values": "0x60"},
        {"series": 'swarmstack_budget_exceeded_total{swarm="s"}', "values": "0+1x60"},
        {
            "series": 'swarmstack_store_oldest_finished_age_seconds{status="succeeded"}',
            "values": "700000+60x60",
        },
        {"series": 'swarmstack_retention_seconds{status="succeeded"}', "values": "604800x60"},
        {"series": 'swarmstack_rollout_phase{swarm="s",phase="aborted"}', "values": "1x60"},
        {"series": 'swarmstack_versions_unrunnable{swarm="s",version="v2"}', "values": "1x60"},
    ]
    expected = {r["alert"]: r for r in alert_rules(specs)}
    tests = []
    for name, alert in expected.items():
        exp_labels = {"severity": alert["labels"]["severity"]}
        exp_labels |= label_set(name)
        annotations = {
            k: v.replace("{{ $labels.swarm }}", "s")
            .replace("{{ $labels.status }}", "succeeded")
            .replace("{{ $labels.version }}", "v2")
            for k, v in alert["annotations"].items()
        }
        tests.append(
            {
                "eval_time": "50m",
                "alertname": name,
                "exp_alerts": [{"exp_labels": exp_labels, "exp_annotations": annotations}],
            }
        )
    return {
        "rule_files": ["alerts.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": tests}],
    }


def label_set(alert: str) -> dict[str, str]:
    if alert in {"SwarmstackManagerDown"}:
        return {"job": f"{APP}-manager"}
    if alert in {"SwarmstackWorkerDown"}:
        return {"job": f"{APP}-worker-s"}
    if alert == "SwarmstackNoWorkers":
        return {}
    if alert == "SwarmstackStoreBeyondRetention":
        return {"status": "succeeded"}
    if alert == "SwarmstackVersionUnrunnable":
        return {"swarm": "s", "version": "v2"}
    return {"swarm": "s"}


def prometheus_config(manager_targets: list[str], worker_targets: list[str]) -> Obj:
    return {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": ["/etc/prometheus/alerts.yml"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:9093"]}]}]},
        "scrape_configs": [
            {
                "job_name": f"{APP}-manager",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": manager_targets}],
            },
            {
                "job_name": f"{APP}-worker",
                "metrics_path": "/metrics",
                "dns_sd_configs": [{"names": worker_targets, "type": "A", "port": PORT}],
            },
        ],
    }


def alertmanager_config(specs: Sequence[SwarmSpec]) -> Obj:
    a = deploy_of(specs).alerting
    receivers = []
    for r in a.receivers:
        receiver: Obj = {"name": r.name}
        if r.email:
            receiver["email_configs"] = [{"to": r.email, "send_resolved": True}]
        if r.webhook_url:
            receiver["webhook_configs"] = [{"url": r.webhook_url, "send_resolved": True}]
        receivers.append(receiver)
    default = a.receivers[0].name
    return {
        "global": {
            "smtp_smarthost": a.smtp_smarthost,
            "smtp_from": a.smtp_from,
            "smtp_require_tls": True,
        },
        "route": {
            "receiver": default,
            "group_by": ["alertname", "swarm"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {"receiver": default, "matchers": ['severity="critical"'], "repeat_interval": "1h"}
            ],
        },
        "receivers": receivers,
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["alertname", "swarm"],
            },
        ],
    }


def dashboard() -> Obj:
    panels = [
        (
            "Tasks finished /s by status",
            "sum by (status) (rate(swarmstack_tasks_finished_total[5m]))",
        ),
        (
            "p95 task latency (s)",
            "histogram_quantile(0.95, sum by (le, swarm) "
            "(rate(swarmstack_task_latency_seconds_bucket[5m])))",
        ),
        ("Queue depth", "sum by (swarm) (swarmstack_queue_depth)"),
        ("Tasks in flight", "sum by (swarm) (swarmstack_tasks_in_flight)"),
        ("Retries /s", "sum by (swarm) (rate(swarmstack_task_retries_total[5m]))"),
        ("LLM tokens /s", "sum by (model) (rate(swarmstack_llm_tokens_total[5m]))"),
        ("LLM cost USD /h", "sum by (swarm) (rate(swarmstack_llm_cost_usd_total[1h])) * 3600"),
        ("HTTP requests /s", "sum by (status) (rate(swarmstack_http_requests_total[5m]))"),
        ("Live workers", "max(swarmstack_workers)"),
        (
            "Tasks finished /s by version",
            "sum by (swarm, version) (rate(swarmstack_tasks_finished_total[5m]))",
        ),
        ("Rollout: % of new tasks to the candidate", "max by (swarm) (swarmstack_rollout_weight)"),
        (
            "Rollout analyses by verdict (5m)",
            "sum by (swarm, verdict) (increase(swarmstack_analysis_runs_total[5m]))",
        ),
    ]
    return {
        "title": "swarmstack",
        "uid": "swarmstack",
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "panels": [
            {
                "id": i + 1,
                "title": title,
                "type": "timeseries",
                "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
                "datasource": {"type": "prometheus", "uid": "prometheus"},
                "targets": [{"expr": expr, "refId": "A"}],
            }
            for i, (title, expr) in enumerate(panels)
        ],
    }


def referenced_metric_names(specs: Sequence[SwarmSpec]) -> set[str]:
    """swarmstack_* metrics the rules and the dashboard use (histogram series folded)."""
    text = json.dumps(rules_file(specs)) + json.dumps(dashboard())
    return {re.sub(r"_(bucket|sum|count)$", "", m) for m in _METRIC.findall(text)}
