#!/usr/bin/env bash
# `npm test`: the whole suite, on a fresh Debian 12 machine as root (what CI runs).
# Installs what it needs, builds, starts the PRIVATE engine with fixture images, and runs
# unit, engine, reliability and end-to-end tests, then the engine-matrix suites on each engine of
# scripts/engines.mjs (Docker 26 overlay2 / containerd store, Docker 28 containerd store, Podman).
# Prints a closing "N passed, N failed, N skipped".
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
must bash scripts/setup-system.sh chromium podman  # chromium before the unit tests: the panel DOM tests drive it

# The matrix engines' Docker packages come from Debian's archive (private apt state, so this runs
# beside the system's apt): fetch them in the background while the project builds and tests.
matrix_engines=(docker26-overlay2 docker26-containerd docker28-containerd podman43)
[[ ${STAGELENS_MATRIX:-1} == 0 ]] && matrix_engines=()
declare -A fetch_pid=()
if ((${#matrix_engines[@]})); then
  node scripts/engines.mjs fetch docker26-containerd >"$logdir/fetch-trixie.log" 2>&1 & fetch_pid[trixie]=$!
  node scripts/engines.mjs fetch docker28-containerd >"$logdir/fetch-sid.log" 2>&1 & fetch_pid[sid]=$!
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

# The engine matrix: the same truths on every engine users run (matrix.test.ts), plus the engine
# suites that need only the busybox fixture. The main engine above already ran them on Docker 20.10.
# Debian 13 must always run; Debian unstable moves, so when it cannot be fetched or started its
# tests are reported as skipped, with the reason.
matrix_suites=(test/engine/matrix.test.ts test/engine/layers.test.ts test/engine/cli-analyze.test.ts)
for name in "${matrix_engines[@]}"; do
  case $name in docker26-*) suite_of=trixie ;; docker28-*) suite_of=sid ;; *) suite_of= ;; esac
  step "matrix $name: fetch + start"
  unavailable=
  if [[ -n $suite_of && -n ${fetch_pid[$suite_of]:-} ]]; then
    wait "${fetch_pid[$suite_of]}"; frc=$?; unset "fetch_pid[$suite_of]"
    cat "$logdir/fetch-$suite_of.log"
    [[ $frc != 0 ]] && unavailable="Debian $suite_of's docker.io could not be fetched: $(tail -1 "$logdir/fetch-$suite_of.log")"
  fi
  mhost=
  if [[ -z $unavailable ]]; then
    if out=$(node scripts/engines.mjs start "$name" 2>"$logdir/start-$name.log"); then
      mhost=$(sed -n 's/^DOCKER_HOST=//p' <<<"$out")
      node scripts/fixtures.mjs --host "$mhost" --only busybox || unavailable="busybox fixture could not be imported into $name"
    else
      cat "$logdir/start-$name.log"
      unavailable="$name did not start: $(tail -1 "$logdir/start-$name.log")"
    fi
  fi
  if [[ -n $unavailable && $suite_of != sid ]]; then
    echo "FAILED: $unavailable" >&2; failed_parts+=("matrix-$name"); total_fail=$((total_fail + 1)); continue
  fi
  if [[ -n $unavailable ]]; then
    echo "SKIPPED matrix $name: $unavailable"
    suite "matrix-$name" env STAGELENS_TEST_ENGINE="$name" STAGELENS_TEST_ENGINE_UNAVAILABLE="$unavailable" \
      node --import tsx --test --test-reporter=spec test/engine/matrix.test.ts
    continue
  fi
  node scripts/engines.mjs versions | grep "^$name "
  suite "matrix-$name" env STAGELENS_TEST_ENGINE="$name" STAGELENS_TEST_DOCKER_HOST="$mhost" STAGELENS_FIXTURES_READY=1 \
    STAGELENS_TEST_FIXTURES=busybox node --import tsx --test --test-reporter=spec "${matrix_suites[@]}"
  node scripts/engines.mjs stop "$name"
done

step "done in $(($(date +%s) - t0)) s"
((${#failed_parts[@]})) && echo "failed parts: ${failed_parts[*]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[[ $total_fail == 0 && ${#failed_parts[@]} == 0 ]]
