# syntax=docker/dockerfile:1
# The swarmstack image: `swarmstack serve` as rendered manifests and compose run it
# (SWARM_MODE=manager|worker). Build with `make image`; docs/operations.md, "Container image".
#
# The base is pinned by version tag. To pin it by digest as well, pass the digest you verified
# with your registry: --build-arg PYTHON_IMAGE=python:3.11.7-slim-bookworm@sha256:<digest>
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

# --- build: a virtualenv with swarmstack and its pinned dependencies ---------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/swarmstack
# constraints.txt pins every package the image installs, transitive ones included
COPY constraints.txt pyproject.toml README.md ./
COPY src ./src
RUN /opt/swarmstack/bin/pip install --constraint constraints.txt . \
    && /opt/swarmstack/bin/pip check

# --- runtime: the virtualenv, the examples, a non-root user ------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="swarmstack" \
      org.opencontainers.image.description="Multi-agent AI swarms as a durable task service" \
      org.opencontainers.image.licenses="Apache-2.0"
# UID 10001 is the user the rendered Kubernetes pods run as (render/common.py UID)
RUN groupadd --system --gid 10001 swarmstack \
    && useradd --system --uid 10001 --gid swarmstack --home-dir /app --shell /usr/sbin/nologin swarmstack
COPY --from=build /opt/swarmstack /opt/swarmstack
WORKDIR /app
# the example swarms' Python agents import from the working directory (`examples.triage...`)
COPY --chown=swarmstack:swarmstack examples ./examples
ENV PATH=/opt/swarmstack/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SWARMSTACK_SERVER__HOST=0.0.0.0 \
    SWARMSTACK_SERVER__PORT=8080 \
    SWARMSTACK_DATA_DIR=/app/data
RUN mkdir -p /app/data && chown swarmstack:swarmstack /app/data
USER 10001:10001
EXPOSE 8080
# liveness of the manager (and of a worker's probe port): GET /health (server/health.py)
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)"]
ENTRYPOINT ["swarmstack"]
CMD ["serve"]
