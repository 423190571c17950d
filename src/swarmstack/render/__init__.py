"""Infrastructure rendered from swarm specs: Kubernetes (kustomize base and overlays),
docker-compose, Prometheus, alert rules, Alertmanager, nginx and Grafana.

Public API: `render_files(specs)` (relative path -> text, deterministic), `write(files, out)`
(writes only after everything rendered), `referenced_metric_names(specs)`.
"""

from swarmstack.render.files import render_files, write
from swarmstack.render.monitoring import referenced_metric_names

__all__ = ["referenced_metric_names", "render_files", "write"]
