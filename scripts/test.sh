#!/usr/bin/env bash
# `npm test`: the whole suite, on a fresh Debian 12 machine as root (what CI runs).
# Installs what it needs, builds, starts the PRIVATE engine with fixture images, and runs
# unit, engine, reliability and end-to-end tests, then the engine matrix (scripts/test-matrix.sh:
# Docker 26 overlay2 / containerd store, Docker 28 containerd store, Podman 4.3; skip it with
# STAGELENS_MATRIX=0). Prints a closing "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
export STAGELENS_CACHE=${STAGELENS_CACHE:-/var/cache/stagelens}
logdir=$(mktemp -d)
total_pass=0; total_fail=0; total_skip=0; failed_parts=()
t0=$(date +%s)

step() { echo; echo "=== $* ($(($(date +%s) - t0)) s)"; }
must() { "$@" || { echo "FAILED: $*" >&2; echo "0 passed, 1 failed"; exit 1; }; }

# Runs a node:test suite, tees its output and adds its pass/fail counts to the totals.
suite() {
  local name=$1; shift
  step "$name"
  "$@" 2>&1 | tee "$logdir/$name.log"
  local rc=${PIPESTATUS[0]}
  local p f k
  p=$(grep -E '^ℹ pass [0-9]+' "$logdir/$name.log" | tail -1 | awk '{print $3}')
  f=$(grep -E '^ℹ fail [0-9]+' "$logdir/$name.log" | tail -1 | awk '{print $3}')
  k=$(grep -E '^ℹ skipped [0-9]+' "$logdir/$name.log" | tail -1 | awk '{print $3}')
  total_pass=$((total_pass + ${p:-0})); total_fail=$((total_fail + ${f:-0})); total_skip=$((total_skip + ${k:-0}))
  if [[ $rc != 0 ]]; then failed_parts+=("$name"); [[ ${f:-0} == 0 ]] && total_fail=$((total_fail + 1)); fi
}

step "system packages"
must bash scripts/setup-system.sh chromium podman iproute2 openssl openssh-client openssh-server  # ssh/TLS remote-engine tests; chromium before the unit tests: the panel DOM tests drive it

# The matrix engines' Docker packages come from Debian's archive with a private apt state, so
# they download beside the system's apt while the project builds and tests; test-matrix.sh
# reuses the cache (and retries, reporting the reason, if a fetch failed).
matrix=${STAGELENS_MATRIX:-1}
fetch_pids=()
if [[ $matrix != 0 ]]; then
  node scripts/engines.mjs fetch docker26-containerd >"$logdir/fetch-trixie.log" 2>&1 & fetch_pids+=($!)
  node scripts/engines.mjs fetch docker28-containerd >"$logdir/fetch-sid.log" 2>&1 & fetch_pids+=($!)
fi
step "npm ci"
must npm ci --no-audit --no-fund
step "build, type-check, lint, package"
must npm run build
must npm run typecheck
must npm run lint
must npm run package

suite unit npm run --silent test:unit

step "private engine + fixture images"
must node scripts/engine.mjs start
export STAGELENS_TEST_DOCKER_HOST=$(node scripts/engine.mjs env | sed 's/^DOCKER_HOST=//')
must node scripts/fixtures.mjs --host "$STAGELENS_TEST_DOCKER_HOST"
export STAGELENS_FIXTURES_READY=1

# code-server before the reliability suite too: its markup/XSS check runs in a real VS Code.
step "code-server for the e2e and reliability suites"
must bash scripts/e2e-setup.sh

suite engine npm run --silent test:engine
suite reliability npm run --silent test:reliability
suite e2e npm run --silent test:e2e

if [[ $matrix != 0 ]]; then
  step "engine matrix"
  for pid in "${fetch_pids[@]}"; do wait "$pid"; done
  cat "$logdir"/fetch-*.log
  bash scripts/test-matrix.sh 2>&1 | tee "$logdir/matrix.log"
  mrc=${PIPESTATUS[0]}
  read -r mp mf mk < <(sed -nE 's/^matrix: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/p' "$logdir/matrix.log" | tail -1)
  total_pass=$((total_pass + ${mp:-0})); total_fail=$((total_fail + ${mf:-0})); total_skip=$((total_skip + ${mk:-0}))
  if [[ $mrc != 0 ]]; then failed_parts+=(matrix); [[ ${mf:-0} == 0 ]] && total_fail=$((total_fail + 1)); fi
fi

step "done in $(($(date +%s) - t0)) s"
((${#failed_parts[@]})) && echo "failed parts: ${failed_parts[*]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[[ $total_fail == 0 && ${#failed_parts[@]} == 0 ]]
