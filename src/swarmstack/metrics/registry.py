"""Metric definitions. One process-wide `metrics` object; tests may build their own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from swarmstack import __version__

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    """All swarmstack metrics on one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.build = Info("swarmstack_build", "swarmstack version of this process", registry=r)
        self.build.info({"version": __version__})
        self.tasks_submitted = Counter(
            "swarmstack_tasks_submitted_total", "Tasks accepted", ["swarm"], registry=r
        )
        self.tasks_finished = Counter(
            "swarmstack_tasks_finished_total",
            "Task outcomes by final status",
            ["swarm", "version", "status"],
            registry=r,
        )
        self.task_latency = Histogram(
            "swarmstack_task_latency_seconds",
            "Submit-to-outcome latency of finished tasks",
            ["swarm", "version"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.task_duration = Histogram(
            "swarmstack_task_duration_seconds",
            "Run time of the final attempt",
            ["swarm", "version", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.step_duration = Histogram(
            "swarmstack_agent_step_duration_seconds",
            "Run time of agent steps",
            ["swarm", "agent"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.step_errors = Counter(
            "swarmstack_agent_step_errors_total",
            "Agent steps that raised",
            ["swarm", "agent"],
            registry=r,
        )
        self.retries = Counter(
            "swarmstack_task_retries_total", "Attempts re-queued for a retry", ["swarm"], registry=r
        )
        self.queue_depth = Gauge("swarmstack_queue_depth", "Queued tasks", ["swarm"], registry=r)
        self.in_flight = Gauge(
            "swarmstack_tasks_in_flight", "Tasks running in this worker", ["swarm"], registry=r
        )
        self.sign_ins = Counter(
            "swarmstack_sign_ins_total",
            "Sign-in attempts by result (ok, invalid, locked)",
            ["result"],
            registry=r,
        )
        self.audit_failures = Counter(
            "swarmstack_audit_failures_total",
            "Changes whose audit entry could not be stored",
            registry=r,
        )
        self.leases_expired = Counter(
            "swarmstack_leases_expired_total",
            "Leases that expired and were re-queued",
            ["swarm"],
            registry=r,
        )
        self.http_requests = Counter(
            "swarmstack_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "swarmstack_http_request_duration_seconds",
            "HTTP request duration",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.llm_tokens = Counter(
            "swarmstack_llm_tokens_total",
            "LLM tokens",
            ["swarm", "agent", "model", "kind"],
            registry=r,
        )
        self.llm_cost = Counter(
            "swarmstack_llm_cost_usd_total",
            "LLM spend in USD",
            ["swarm", "agent", "model"],
            registry=r,
        )
        self.llm_requests = Counter(
            "swarmstack_llm_requests_total",
            "LLM calls by result",
            ["swarm", "agent", "model", "result"],
            registry=r,
        )
        self.budget_exceeded = Counter(
            "swarmstack_budget_exceeded_total",
            "Tasks stopped by a budget",
            ["swarm", "limit"],
            registry=r,
        )
        self.workers = Gauge("swarmstack_workers", "Live workers seen by this manager", registry=r)
        self.sync_calls_abandoned = Counter(
            "swarmstack_sync_calls_abandoned_total",
            "Sync agent or tool calls that timed out or were cancelled while their thread ran on",
            ["swarm", "agent"],
            registry=r,
        )
        self.sync_threads_abandoned = Gauge(
            "swarmstack_sync_threads_abandoned",
            "Threads of a swarm's sync pool still held by abandoned calls",
            ["swarm"],
            registry=r,
        )
        self.rollout_weight = Gauge(
            "swarmstack_rollout_weight",
            "Percent of new tasks routed to the swarm's candidate version",
            ["swarm"],
            registry=r,
        )
        self.rollout_phase = Gauge(
            "swarmstack_rollout_phase",
            "1 for the swarm's current rollout phase (healthy, progressing, paused, aborted)",
            ["swarm", "phase"],
            registry=r,
        )
        self.analysis_runs = Counter(
            "swarmstack_analysis_runs_total",
            "Rollout analyses by verdict (pass, fail, inconclusive)",
            ["swarm", "verdict"],
            registry=r,
        )
        self.versions_unrunnable = Gauge(
            "swarmstack_versions_unrunnable",
            "1 for a version with queued tasks that no live worker can run",
            ["swarm", "version"],
            registry=r,
        )

        self._store_metrics(r)

    def _store_metrics(self, r: CollectorRegistry) -> None:
        """Retention counters (the leader's rounds) and store size gauges."""
        self.retention_deleted = Counter(
            "swarmstack_retention_deleted_rows_total",
            "Rows retention deleted (pruned tasks, their attempts and events, compacted events)",
            ["table"],
            registry=r,
        )
        self.idempotency_keys_expired = Counter(
            "swarmstack_idempotency_keys_expired_total",
            "Idempotency-Keys cleared after retention.idempotency",
            registry=r,
        )
        self.tasks_compacted = Counter(
            "swarmstack_tasks_compacted_total",
            "Finished tasks whose step events were folded into one summary event",
            registry=r,
        )
        self.tasks_archived = Counter(
            "swarmstack_tasks_archived_total",
            "Pruned tasks written to the retention archive",
            registry=r,
        )
        self.retention_seconds = Gauge(
            "swarmstack_retention_seconds",
            "Longest time any swarm keeps finished tasks of a status",
            ["status"],
            registry=r,
        )
        self.store_rows = Gauge(
            "swarmstack_store_rows", "Rows per store table (estimate)", ["table"], registry=r
        )
        self.store_bytes = Gauge(
            "swarmstack_store_bytes",
            "Bytes per store table with its indexes",
            ["table"],
            registry=r,
        )
        self.store_dead_rows = Gauge(
            "swarmstack_store_dead_rows",
            "Dead tuples per table not yet vacuumed (PostgreSQL)",
            ["table"],
            registry=r,
        )
        self.store_vacuums = Counter(
            "swarmstack_store_vacuums_total",
            "Tables the leader vacuumed because of their dead tuples (PostgreSQL)",
            registry=r,
        )
        self.store_oldest_finished_age = Gauge(
            "swarmstack_store_oldest_finished_age_seconds",
            "Age of the oldest stored finished task of a status",
            ["status"],
            registry=r,
        )

        self.ratelimit_rejected = Counter(
            "swarmstack_ratelimit_rejected_total",
            "Requests answered 429, by the limit they hit (principal, source, queued)",
            ["limit"],
            registry=r,
        )
        self.ratelimit_backend_errors = Counter(
            "swarmstack_ratelimit_backend_errors_total",
            "Redis faults after which rate limits fell back to this process for a while",
            registry=r,
        )


metrics = Metrics()

METRIC_NAMES = frozenset(
    {
        "swarmstack_build_info",
        "swarmstack_tasks_submitted_total",
        "swarmstack_tasks_finished_total",
        "swarmstack_task_latency_seconds",
        "swarmstack_task_duration_seconds",
        "swarmstack_agent_step_duration_seconds",
        "swarmstack_agent_step_errors_total",
        "swarmstack_task_retries_total",
        "swarmstack_queue_depth",
        "swarmstack_tasks_in_flight",
        "swarmstack_leases_expired_total",
        "swarmstack_http_requests_total",
        "swarmstack_http_request_duration_seconds",
        "swarmstack_llm_tokens_total",
        "swarmstack_llm_cost_usd_total",
        "swarmstack_llm_requests_total",
        "swarmstack_budget_exceeded_total",
        "swarmstack_workers",
        "swarmstack_sync_calls_abandoned_total",
        "swarmstack_sync_threads_abandoned",
        "swarmstack_retention_deleted_rows_total",
        "swarmstack_idempotency_keys_expired_total",
        "swarmstack_tasks_compacted_total",
        "swarmstack_tasks_archived_total",
        "swarmstack_retention_seconds",
        "swarmstack_store_rows",
        "swarmstack_store_bytes",
        "swarmstack_store_dead_rows",
        "swarmstack_store_vacuums_total",
        "swarmstack_store_oldest_finished_age_seconds",
        "swarmstack_ratelimit_rejected_total",
        "swarmstack_ratelimit_backend_errors_total",
    }
)
