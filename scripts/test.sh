#!/usr/bin/env bash
# `npm test`: the whole suite, on a fresh Debian 12 machine as root (what CI runs).
# Installs what it needs, builds, starts the PRIVATE engine with fixture images, and runs
# unit, engine, reliability and end-to-end tests. Prints a closing "N passed, N failed".
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
must bash scripts/setup-system.sh chromium  # before the unit tests: the panel DOM tests drive it
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

step "done in $(($(date +%s) - t0)) s"
((${#failed_parts[@]})) && echo "failed parts: ${failed_parts[*]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[[ $total_fail == 0 && ${#failed_parts[@]} == 0 ]]
