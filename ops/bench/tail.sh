#!/usr/bin/env bash
# The latency tail of the client_credentials workloads and what goes with it: one server, the
# workloads in turn, round after round, so that each sees the same server, database and machine.
# Per round: tokens/s, wrk's latency distribution (p50, p90, p99, p99.9, max), the group commits
# (appends per batch, from /metrics), the GC pauses that fell in the round (the server runs with
# -Xlog:gc), and the server + PostgreSQL CPU per token.
#
# Usage: ops/bench/tail.sh [seconds=10] [rounds=3] [connections=64]
#   WORKLOADS  default "cc-es256 cc-opaque cc-rs256" (bench_seed's)
#   JAR        default modules/cli/target/grantry.jar
#   JAVA_OPTS  default: ops/bench/jvm.opts (the kit's, ParallelGC with a 192 MB heap)
#   WARMUP     seconds of load per workload before the first round (default 20)
#   SERVER_ENV extra environment of the server, e.g. "GRANTRY_APPEND_MAX_BATCH=16"
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
ROUNDS=${2:-3}
CONN=${3:-64}
JAR=${JAR:-modules/cli/target/grantry.jar}
WORKLOADS=${WORKLOADS:-cc-es256 cc-opaque cc-rs256}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
. ops/bench/lib.sh
bench_workdir tail
mkdir -p "$WORK/S"
GC_LOG=$WORK/S/gc.log
bench_start S "$JAR" "${GRANTRY_BENCH_PORT:-18581}" \
  "${JAVA_OPTS:-$(cat ops/bench/jvm.opts)} -Xlog:gc:file=$GC_LOG:time" "${SERVER_ENV:-}"
bench_ready S
# Every workload on the one server: a directory of its own (its client, wrk script and URL) that
# shares the server's port, pid and data.
for w in $WORKLOADS; do
  mkdir -p "$WORK/$w"
  ln -s "$WORK/S/data" "$WORK/$w/data"
  cp "$WORK/S/port" "$WORK/S/pid" "$WORK/$w/"
  BENCH_CLIENT_ID="bench-$w" bench_seed "$w" "$w"
  # A later definition of done wins: the wider distribution.
  cat >> "$WORK/$w/wrk.lua" <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.0f %d %.2f %.2f %.2f %.2f %.2f\n", summary.requests / (summary.duration / 1e6), errors,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
LUA
done
batches() {
  curl -s "http://127.0.0.1:$(cat "$WORK/S/port")/metrics" |
    awk '/^grantry_eventstore_append_batch_size_appends_count/ {c += $2} /^grantry_eventstore_append_batch_size_appends_sum/ {s += $2} END {print c + 0, s + 0}'
}
# GC pauses logged between two times (date +%s.%N): count, total ms, longest ms.
gc_pauses() {
  python3 - "$GC_LOG" "$1" "$2" <<'PY'
import re, sys
from datetime import datetime
log, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
n, total, longest = 0, 0.0, 0.0
for line in open(log, errors="replace"):
    m = re.match(r"\[([^\]]+)\].*Pause.* ([0-9.]+)ms$", line.strip())
    if not m:
        continue
    t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    if t0 <= t <= t1:
        ms = float(m.group(2))
        n, total, longest = n + 1, total + ms, max(longest, ms)
print(n, "%.1f" % total, "%.1f" % longest)
PY
}
SERVER=$(cat "$WORK/S/pid")
for w in $WORKLOADS; do
  wrk -t2 -c"$CONN" -d"${WARMUP:-20}s" -s "$WORK/$w/wrk.lua" "$(cat "$WORK/$w/url")" >/dev/null
done
echo "# tail.sh $SECS s x $ROUNDS rounds, $CONN connections, $(date -u +%FT%TZ); JAR $JAR; JVM ${JAVA_OPTS:-$(cat ops/bench/jvm.opts)}"
echo "round | workload | tokens/s | p50 | p90 | p99 | p99.9 | max ms | appends per group commit | GC pauses (n, total ms, longest ms) | JVM+PG us/token | load"
for r in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    PG=$(bench_pg_pids S)
    read -r bc0 bs0 <<<"$(batches)"
    # shellcheck disable=SC2086
    j0=$(bench_ticks "$SERVER"); g0=$(bench_ticks $PG)
    t0=$(date +%s.%N)
    res=$(wrk -t2 -c"$CONN" -d"${SECS}s" -s "$WORK/$w/wrk.lua" "$(cat "$WORK/$w/url")" | grep '^RESULT' | cut -d' ' -f2-)
    t1=$(date +%s.%N)
    # shellcheck disable=SC2086
    j1=$(bench_ticks "$SERVER"); g1=$(bench_ticks $PG)
    read -r bc1 bs1 <<<"$(batches)"
    read -r rate errors p50 p90 p99 p999 max <<<"$res"
    [ "$errors" = 0 ] || echo "errors: $errors" >&2
    n=$(awk -v r="$rate" -v s="$SECS" 'BEGIN {print r * s}')
    us() { awk -v a="$1" -v b="$2" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", (b - a) / hz * 1e6 / n}'; }
    echo "$r | $w | $rate | $p50 | $p90 | $p99 | $p999 | $max |" \
      "$(awk -v c=$((bc1 - bc0)) -v s=$((bs1 - bs0)) 'BEGIN {printf "%.1f", c ? s / c : 0}') |" \
      "$(gc_pauses "$t0" "$t1") | $(us "$j0" "$j1")+$(us "$g0" "$g1") | $(cut -d' ' -f1 /proc/loadavg)"
  done
done
echo "RSS MB $(bench_rss_mb S)"
