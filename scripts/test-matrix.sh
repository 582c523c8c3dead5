#!/usr/bin/env bash
# The engine matrix: runs the engine suites that need only the busybox fixture on each PRIVATE
# engine of scripts/engines.mjs, one at a time (fetch → start → busybox fixture → suites → stop).
#
#   bash scripts/test-matrix.sh                      # docker26-overlay2 docker26-containerd docker28-containerd podman43
#   bash scripts/test-matrix.sh docker26-containerd  # just these
#
# Debian 13 (trixie) engines must always run: a fetch or start failure counts as a failure.
# Debian unstable moves: when its engine cannot be fetched or started, its matrix tests are
# reported as skipped, with the reason. npm test (scripts/test.sh) runs this after the main
# suites; the main engine (Docker 20.10) has already run the same suites there.
# Ends with "matrix: N passed, N failed, N skipped"; exit 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export STAGELENS_CACHE=${STAGELENS_CACHE:-/var/cache/stagelens}
logdir=$(mktemp -d)
pass=0; fail=0; skip=0; failed=()
t0=$(date +%s)
engines=("$@")
((${#engines[@]})) || engines=(docker26-overlay2 docker26-containerd docker28-containerd podman43)
suites=(test/engine/matrix.test.ts test/engine/layers.test.ts test/engine/cli-analyze.test.ts)

step() { echo; echo "=== $* ($(($(date +%s) - t0)) s)"; }

# An interrupted run must not leave the engine it was testing running.
current=
trap '[[ -n $current ]] && node scripts/engines.mjs stop "$current" >/dev/null 2>&1' EXIT

# Runs node:test on files with the given env, adds its counts (a crash without counts is a failure).
run_suite() {
  local label=$1; shift
  local log="$logdir/$label.log"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} p f k
  p=$(grep -E '^ℹ pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
  f=$(grep -E '^ℹ fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  k=$(grep -E '^ℹ skipped [0-9]+' "$log" | tail -1 | awk '{print $3}')
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${k:-0}))
  if [[ $rc != 0 ]]; then failed+=("$label"); [[ ${f:-0} == 0 ]] && fail=$((fail + 1)); fi
}

for name in "${engines[@]}"; do
  step "matrix $name: fetch + start"
  current=$name
  ts=$(date +%s)
  unavailable=
  if ! node scripts/engines.mjs fetch "$name" 2>"$logdir/fetch-$name.log"; then
    cat "$logdir/fetch-$name.log" >&2
    unavailable="could not fetch it: $(grep -v '^\s*$' "$logdir/fetch-$name.log" | tail -1)"
  fi
  host=
  if [[ -z $unavailable ]]; then
    if out=$(node scripts/engines.mjs start "$name" 2>"$logdir/start-$name.log"); then
      host=$(sed -n 's/^DOCKER_HOST=//p' <<<"$out")
      node scripts/fixtures.mjs --host "$host" --only busybox || unavailable="the busybox fixture could not be imported"
    else
      cat "$logdir/start-$name.log" >&2
      unavailable="it did not start: $(grep -v '^\s*$' "$logdir/start-$name.log" | tail -1)"
    fi
  fi
  echo "[matrix] $name: fetch + start + fixture took $(($(date +%s) - ts)) s"
  if [[ -n $unavailable && $name != docker28-* ]]; then
    echo "FAILED: matrix $name: $unavailable" >&2
    failed+=("matrix-$name"); fail=$((fail + 1))
    node scripts/engines.mjs stop "$name"
    continue
  fi
  if [[ -n $unavailable ]]; then
    echo "SKIPPED: matrix $name: $unavailable"
    run_suite "$name" env STAGELENS_TEST_ENGINE="$name" STAGELENS_TEST_ENGINE_UNAVAILABLE="$unavailable" \
      node --import tsx --test --test-reporter=spec test/engine/matrix.test.ts
    node scripts/engines.mjs stop "$name"
    continue
  fi
  node scripts/engines.mjs versions | grep -E "^$name "
  ts=$(date +%s)
  # The BuildKit session suite needs a Docker engine; on the containerd store it also checks that
  # the tar body fails there and the session builds (skipped in the main suite, which has 20.10).
  extra=()
  [[ $name == docker* ]] && extra=(test/engine/session.test.ts)
  run_suite "$name" env STAGELENS_TEST_ENGINE="$name" STAGELENS_TEST_DOCKER_HOST="$host" STAGELENS_FIXTURES_READY=1 STAGELENS_TEST_QUICK=1 \
    STAGELENS_TEST_FIXTURES=busybox node --import tsx --test --test-reporter=spec "${suites[@]}" "${extra[@]}"
  echo "[matrix] $name suites in $(($(date +%s) - ts)) s"
  node scripts/engines.mjs stop "$name"
  current=
done

step "matrix done in $(($(date +%s) - t0)) s"
((${#failed[@]})) && echo "matrix failed parts: ${failed[*]}"
echo "matrix: $pass passed, $fail failed, $skip skipped"
[[ $fail == 0 && ${#failed[@]} == 0 ]]
