#!/usr/bin/env bash
# Syscalls and wakeups per unit of work: runs one workload against a fresh server (as ab.sh does)
# and reports, per token (or answer), the context switches of the server JVM and of its PostgreSQL
# (voluntary: a thread that slept and was woken, i.e. a wakeup; involuntary: preempted), read from
# /proc over an undisturbed round, then the syscalls by name of each (strace -c -f, attached for a
# second, shorter round: strace slows every syscall down, so its round's rate is not the workload's
# and only its counts per unit mean something).
#
# Usage: ops/bench/syscalls.sh WORKLOAD [seconds=10] [strace-seconds=5] [connections=64]
#   WORKLOAD: cc-es256 | cc-rs256 | cc-opaque | introspect | introspect-opaque (bench_seed's)
#   JAR (default modules/cli/target/grantry.jar), JAVA_OPTS (default -Xms256m -Xmx512m),
#   WARMUP (seconds of load before the first round, default 20), SERVER_ENV (extra environment)
# Needs strace.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORKLOAD=${1:?workload: cc-es256 | cc-rs256 | cc-opaque | introspect | introspect-opaque}
SECS=${2:-10}
STRACE_SECS=${3:-5}
CONN=${4:-64}
JAR=${JAR:-modules/cli/target/grantry.jar}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
command -v strace >/dev/null || { echo "strace is missing: apt-get install strace" >&2; exit 2; }
. ops/bench/lib.sh
bench_workdir syscalls
bench_start S "$JAR" "${GRANTRY_BENCH_PORT:-18481}" "${JAVA_OPTS:--Xms256m -Xmx512m}" "${SERVER_ENV:-}"
bench_ready S
bench_seed S "$WORKLOAD"
SERVER=$(cat "$WORK/S/pid")
bench_round S "${WARMUP:-20}" "$CONN" >/dev/null

# Context switches (voluntary, involuntary) summed over every thread of these processes.
switches() {
  local p
  for p in "$@"; do cat /proc/"$p"/task/*/status 2>/dev/null; done |
    awk '/^voluntary_ctxt_switches/ {v += $2} /^nonvoluntary_ctxt_switches/ {n += $2} END {print v + 0, n + 0}'
}
wrk_round() { # seconds -> requests/s
  wrk -t2 -c"$CONN" -d"${1}s" -s "$WORK/S/wrk.lua" "$(cat "$WORK/S/url")" | awk '/^RESULT/ {print $2}'
}
# Appends per group commit: the store's batch-size summary on /metrics (count and sum).
batches() {
  curl -s "http://127.0.0.1:$(cat "$WORK/S/port")/metrics" |
    awk '/^grantry_eventstore_append_batch_size_appends_count/ {c += $2} /^grantry_eventstore_append_batch_size_appends_sum/ {s += $2} END {print c + 0, s + 0}'
}
PG=$(bench_pg_pids S)
read -r bc0 bs0 <<<"$(batches)"
# shellcheck disable=SC2086
read -r jv0 jn0 <<<"$(switches "$SERVER")"; read -r gv0 gn0 <<<"$(switches $PG)"
j0=$(bench_ticks "$SERVER"); g0=$(bench_ticks $PG)
rate=$(wrk_round "$SECS")
# shellcheck disable=SC2086
read -r jv1 jn1 <<<"$(switches "$SERVER")"; read -r gv1 gn1 <<<"$(switches $(bench_pg_pids S))"
j1=$(bench_ticks "$SERVER"); g1=$(bench_ticks $PG)
read -r bc1 bs1 <<<"$(batches)"
n=$(awk -v r="$rate" -v s="$SECS" 'BEGIN {print r * s}')
per() { awk -v a="$1" -v b="$2" -v n="$n" 'BEGIN {printf "%.2f", (b - a) / n}'; }
us() { awk -v a="$1" -v b="$2" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", (b - a) / hz * 1e6 / n}'; }
echo "# $WORKLOAD, $CONN connections, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "round of ${SECS} s: $rate req/s; CPU per unit: server $(us "$j0" "$j1") us, PostgreSQL $(us "$g0" "$g1") us"
echo "context switches per unit: server voluntary $(per "$jv0" "$jv1"), involuntary $(per "$jn0" "$jn1");" \
  "PostgreSQL voluntary $(per "$gv0" "$gv1"), involuntary $(per "$gn0" "$gn1")"
echo "group commits: $((bc1 - bc0)), appends per group commit $(awk -v c=$((bc1 - bc0)) -v s=$((bs1 - bs0)) 'BEGIN {printf "%.1f", c ? s / c : 0}')"

# strace -c of the server and of the PostgreSQL processes, attached first, then a round of its own
# (the units counted are that round's; the few seconds around it add only idle timeouts).
pg_list=$(bench_pg_pids S | tr ' ' '\n' | grep . | sed 's/^/-p /' | tr '\n' ' ')
strace -c -f -qq -o "$WORK/strace-server" -p "$SERVER" 2>/dev/null &
T1=$!
# shellcheck disable=SC2086
strace -c -f -qq -o "$WORK/strace-pg" $pg_list 2>/dev/null &
T2=$!
sleep 2
srate=$(wrk_round "$STRACE_SECS")
kill -INT "$T1" "$T2"
wait "$T1" "$T2" || true
sn=$(awk -v r="$srate" -v s="$STRACE_SECS" 'BEGIN {print r * s}')
for side in server pg; do
  echo
  echo "strace -c -f, $side: calls per unit (~$sn units in ${STRACE_SECS} s; under strace $srate req/s)"
  awk -v n="$sn" '$1 ~ /^[0-9.]+$/ && NF >= 5 {printf "%8.2f %s\n", $4 / n, $NF}' "$WORK/strace-$side" | sort -rn | head -16
done
