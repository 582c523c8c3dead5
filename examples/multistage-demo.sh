#!/bin/sh
# Builds the single-stage, multi-stage and advanced images of this example and prints their
# sizes. Uses the engine that DOCKER_HOST (or the current docker context) points at.
#
#   ./multistage-demo.sh                 # BuildKit for all three
#   BUILDER=classic ./multistage-demo.sh # classic builder; skips Dockerfile.advanced (RUN --mount)
#   DOCKER=/usr/bin/docker NETWORK=default ./multistage-demo.sh
set -eu
cd "$(dirname "$0")"

# Debian's docker.io CLI has BuildKit built in; newer CLIs need the buildx plugin for it.
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
NETWORK="${NETWORK:-host}"
BUILDER="${BUILDER:-buildkit}"
case "$BUILDER" in
  buildkit) DOCKER_BUILDKIT=1 ;;
  classic) DOCKER_BUILDKIT=0 ;;
  *) echo "BUILDER must be buildkit or classic" >&2; exit 2 ;;
esac
export DOCKER_BUILDKIT

build() { # tag dockerfile [extra args]
  tag=$1; file=$2; shift 2
  echo "==> $tag ($file, $BUILDER builder)"
  start=$(date +%s)
  "$DOCKER" build --network "$NETWORK" -f "$file" -t "$tag" "$@" .
  echo "    built in $(( $(date +%s) - start )) s"
}

build single-stage-demo Dockerfile.single-stage
build multi-stage-demo Dockerfile
if [ "$BUILDER" = buildkit ]; then
  build advanced-demo Dockerfile.advanced --target runtime
  tags="single-stage-demo multi-stage-demo advanced-demo"
else
  echo "==> advanced-demo skipped: Dockerfile.advanced uses RUN --mount, which needs BuildKit"
  tags="single-stage-demo multi-stage-demo"
fi

echo
printf '%-20s %12s %10s\n' IMAGE BYTES MB
for tag in $tags; do
  bytes=$("$DOCKER" image inspect --format '{{.Size}}' "$tag")
  printf '%-20s %12s %10s\n' "$tag" "$bytes" "$(( bytes / 1000000 ))"
done

echo
echo "The runtime image runs the compiled extension:"
"$DOCKER" run --rm --network none multi-stage-demo \
  python -c 'import fastcalc; print("fastcalc.mean([1, 2, 3, 4]) =", fastcalc.mean([1, 2, 3, 4]))'
