#!/bin/bash
# What telemetry costs a drain: profile-drain.mjs run alternately (A/B, so bursts of load from
# other work hit every variant alike) from
#   base   a checkout of the commit before telemetry (BASE=dir, with its own node_modules),
#   nosdk  this checkout, @opentelemetry/api installed but no SDK registered,
#   sdk    this checkout with the OTel SDK registered through --import, spans exported to a no-op,
#   ctx    this checkout with only the SDK's AsyncLocalStorage context manager registered.
#   BASE=/tmp/errand-base N=10000 C=10 ROUNDS=3 worker/bench/telemetry-ab.sh
# Run it under the shared lock on a shared machine (flock /tmp/errand-heavy.lock …).
HERE=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-20000}; C=${C:-10}; ROUNDS=${ROUNDS:-3}
REGISTER=$HERE/worker/test/fixtures/otel/register.mjs
for r in $(seq 1 "$ROUNDS"); do
  for v in ${VARIANTS:-base nosdk sdk ctx}; do
    dir=$HERE; opts=""; extra=""
    case $v in
      base) dir=${BASE:?set BASE to a checkout of the commit to compare with} ;;
      sdk) opts="--import=$REGISTER" ;;
      ctx) opts="--import=$REGISTER"; extra="OTEL_CONTEXT_ONLY=1" ;;
    esac
    out=$(cd "$dir" && env $extra NODE_OPTIONS="$opts" node --conditions=@errand/source --import tsx \
      worker/bench/profile-drain.mjs "$N" "$C" 2>&1 | head -2 | tr '\n' ' ')
    echo "round $r $v load=$(cut -d' ' -f1 /proc/loadavg): $out"
  done
done
