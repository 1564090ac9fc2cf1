#!/usr/bin/env bash
# The latency tail of the client_credentials workloads and what goes with it: one server, the
# workloads in turn, round after round, so that each sees the same server, database and machine.
# Per round: tokens/s, wrk's latency distribution (p50, p90, p99, p99.9, max), the group commits
# (appends per batch and the mean time to write and commit one, from /metrics), the GC pauses that
# fell in the round (the server runs with -Xlog:gc), what the embedded PostgreSQL logged in the round
# (checkpoints starting or completing, autovacuum and autoanalyze runs: it runs with
# log_checkpoints=on and log_autovacuum_min_duration=0), and the server + PostgreSQL CPU per token.
#
# Usage: ops/bench/tail.sh [seconds=10] [rounds=3] [connections=64]
#   WORKLOADS  default "cc-es256 cc-opaque cc-rs256" (bench_seed's)
#   JAR        default modules/cli/target/grantry.jar
#   JAVA_OPTS  default: ops/bench/jvm.opts (the kit's, ParallelGC with a 192 MB heap)
#   WARMUP     seconds of load per workload before the first round (default 20)
#   SERVER_ENV extra environment of the server, e.g. "GRANTRY_APPEND_MAX_BATCH=16"
#   PG_SETTINGS extra settings of the embedded PostgreSQL (GRANTRY_EMBEDDED_PG_SETTINGS, added after
#              the logging ones), e.g. "checkpoint_timeout=60s" to see a checkpoint in a short run
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
PG_LOG_SETTINGS="log_checkpoints=on;log_autovacuum_min_duration=0${PG_SETTINGS:+;$PG_SETTINGS}"
bench_start S "$JAR" "${GRANTRY_BENCH_PORT:-18581}" \
  "${JAVA_OPTS:-$(cat ops/bench/jvm.opts)} -Xlog:gc:file=$GC_LOG:time" \
  "GRANTRY_EMBEDDED_PG_SETTINGS=$PG_LOG_SETTINGS ${SERVER_ENV:-}"
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
  io.write(string.format("RESULT %.0f %d %.2f %.2f %.2f %.2f %.2f %.2f\n", summary.requests / (summary.duration / 1e6), errors,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, latency.mean / 1000))
end
LUA
done
# Group commits so far: batches, appends, seconds spent writing and committing them.
batches() {
  curl -s "http://127.0.0.1:$(cat "$WORK/S/port")/metrics" |
    awk '/^grantry_eventstore_append_batch_size_appends_count/ {c += $2} /^grantry_eventstore_append_batch_size_appends_sum/ {s += $2}
      /^grantry_eventstore_append_batch_seconds_sum/ {t += $2} END {printf "%d %d %.6f\n", c, s, t}'
}
# What PostgreSQL logged between two times (date +%s.%N): checkpoints started (with their reason)
# and completed (with their write and sync times), autovacuum and autoanalyze runs (tables).
pg_events() {
  python3 - "$WORK/S/data/postgres/postgres.log" "$1" "$2" <<'PY'
import re, sys
from datetime import datetime
log, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
out = []
for line in open(log, errors="replace"):
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[\d+\] LOG:  (.*)", line)
    if not m:
        continue
    t = datetime.strptime(m.group(1) + "+0000", "%Y-%m-%d %H:%M:%S.%f%z").timestamp()
    if not t0 <= t <= t1:
        continue
    msg = m.group(2)
    if msg.startswith("checkpoint starting"):
        out.append("ckpt start (%s)" % msg.split(": ", 1)[1])
    elif msg.startswith("checkpoint complete"):
        w = re.search(r"write=([0-9.]+) s, sync=([0-9.]+) s", msg)
        out.append("ckpt end (write %s s, sync %s s)" % (w.group(1), w.group(2)) if w else "ckpt end")
    elif msg.startswith("automatic vacuum") or msg.startswith("automatic analyze"):
        tm = re.search(r'of table "[^.]+\.[^.]+\.([^"]+)"', msg)
        out.append(("vac " if "vacuum" in msg else "an ") + (tm.group(1) if tm else "?"))
print(", ".join(out) if out else "-")
PY
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
echo "round | workload | tokens/s | p50 | p90 | p99 | p99.9 | max ms | mean ms (x rate: in flight) | appends per group commit | commit ms (mean) | GC pauses (n, total ms, longest ms) | JVM+PG us/token | PostgreSQL log | load"
for r in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    PG=$(bench_pg_pids S)
    read -r bc0 bs0 bt0 <<<"$(batches)"
    # shellcheck disable=SC2086
    j0=$(bench_ticks "$SERVER"); g0=$(bench_ticks $PG)
    t0=$(date +%s.%N)
    res=$(wrk -t2 -c"$CONN" -d"${SECS}s" -s "$WORK/$w/wrk.lua" "$(cat "$WORK/$w/url")" | grep '^RESULT' | cut -d' ' -f2-)
    t1=$(date +%s.%N)
    # shellcheck disable=SC2086
    j1=$(bench_ticks "$SERVER"); g1=$(bench_ticks $PG)
    read -r bc1 bs1 bt1 <<<"$(batches)"
    read -r rate errors p50 p90 p99 p999 max mean <<<"$res"
    [ "$errors" = 0 ] || echo "errors: $errors" >&2
    n=$(awk -v r="$rate" -v s="$SECS" 'BEGIN {print r * s}')
    us() { awk -v a="$1" -v b="$2" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", (b - a) / hz * 1e6 / n}'; }
    # Little's law: the requests in flight are rate x mean latency, at most the connections.
    echo "$r | $w | $rate | $p50 | $p90 | $p99 | $p999 | $max | $mean ($(awk -v r="$rate" -v m="$mean" 'BEGIN {printf "%.0f", r * m / 1000}')) |" \
      "$(awk -v c=$((bc1 - bc0)) -v s=$((bs1 - bs0)) 'BEGIN {printf "%.1f", c ? s / c : 0}') |" \
      "$(awk -v c=$((bc1 - bc0)) -v a="$bt0" -v b="$bt1" 'BEGIN {printf "%.2f", c ? (b - a) * 1000 / c : 0}') |" \
      "$(gc_pauses "$t0" "$t1") | $(us "$j0" "$j1")+$(us "$g0" "$g1") | $(pg_events "$t0" "$t1") | $(cut -d' ' -f1 /proc/loadavg)"
  done
done
echo "RSS MB $(bench_rss_mb S)"
# CPU by thread over the whole run (warm-up included), grouped by name (numbers stripped; each event
# loop apart, by thread id): which threads the server's time went to (event loops, GC, JIT, workers).
echo "server CPU s by thread (all of the run): $(for t in /proc/"$SERVER"/task/*; do
    n=$(tr ' ' _ < "$t/comm")
    case "$n" in vert.x-eventloo*) n="eventloop-${t##*/}" ;; *) n=$(sed -E 's/[#_-]?[0-9]+$//' <<<"$n") ;; esac
    printf '%s %s\n' "$n" "$(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
  done | awk -v hz="$(getconf CLK_TCK)" '{s[$1] += $2} END {for (k in s) if (s[k] >= hz / 10) printf "%s %.1f, ", k, s[k] / hz}')"
