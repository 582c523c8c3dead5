#!/usr/bin/env bash
# `npm run demo`: the Quick start's main job on a fresh Debian 12 machine. Installs, builds,
# makes sure an engine is reachable and runs `stagelens analyze` on the seed example,
# printing per-stage sizes of the single-stage and the multi-stage Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/.."
export STAGELENS_CACHE=${STAGELENS_CACHE:-/var/cache/stagelens}

if [[ $(id -u) == 0 ]]; then bash scripts/setup-system.sh; fi
[[ -d node_modules ]] || npm ci --no-audit --no-fund
npm run --silent build >/dev/null

host=${DOCKER_HOST:-}
if [[ $(id -u) == 0 ]]; then
  # As root, use Stage Lens's private engine: it gets fixture base images built from
  # Debian packages (no image registry needed) and never touches your own engine's images.
  host=$(node scripts/engine.mjs start | sed 's/^DOCKER_HOST=//')
  node scripts/fixtures.mjs --host "$host"
fi
if [[ -z $host ]]; then
  if [[ -S /var/run/docker.sock ]]; then host=unix:///var/run/docker.sock; else
    echo "No Docker engine is reachable. Start one (e.g. \`sudo systemctl start docker\`) or set DOCKER_HOST, then run this again." >&2
    echo "As root this script starts a private engine itself." >&2
    exit 3
  fi
fi

for f in Dockerfile.single-stage Dockerfile; do
  echo
  echo "### examples/$f"
  node dist/cli.js analyze "examples/$f" --context examples --network host --host "$host"
done
