#!/usr/bin/env bash
# Where the time goes under load: runs Grantry on a fresh embedded database, drives one workload
# with wrk, and meanwhile records an async-profiler CPU flame graph of the server (the profiler's
# jar from Maven Central carries the linux-x64 native library) and how the CPU splits between the
# JVM, its PostgreSQL and wrk (from /proc, over the measured window).
#
# Usage: ops/bench/profile.sh WORKLOAD [seconds=20] [connections=64]
#   WORKLOAD: cc-es256 | cc-rs256 | introspect | refresh | flow (the last two as ops/bench/run.sh
#             drives them: seed.py's clients, chains and signed-in browser, lua/refresh.lua, lua/flow.lua)
#             | introspect-population | introspect-population-opaque: POPULATION tokens (default
#             2 × POP_CHUNK) issued first, then the warm-up and the measured window each introspect
#             the next POP_CHUNK (100000) of them once each (lua/once.lua; no restart in between)
#   PGSTAT=1  also load pg_stat_statements into the embedded PostgreSQL and write OUT/WORKLOAD.sql.txt:
#             every statement's calls, rows and time over the measured window, per unit of work
#   JAR (default modules/cli/target/grantry.jar), JAVA_OPTS (default -Xms256m -Xmx512m),
#   WARMUP (seconds, default 20), EVENT (async-profiler event: cpu, or itimer where perf events are not allowed), OUT (directory,
#   default ops/bench/results/profiles)
# Writes OUT/WORKLOAD.html (flame graph), OUT/WORKLOAD.collapsed.gz (folded stacks) and
# OUT/WORKLOAD.txt (throughput, CPU split, top frames). `profile.sh --summary F.collapsed[.gz]`
# prints the summary of saved stacks again.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORKLOAD=${1:?workload: cc-es256 | cc-rs256 | introspect}
SECS=${2:-20}
CONN=${3:-64}
JAR=${JAR:-modules/cli/target/grantry.jar}
OUT=${OUT:-ops/bench/results/profiles}
AP_VERSION=4.1
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
. ops/bench/lib.sh
bench_workdir profile
# The summary of folded stacks: samples per thread group, the event loops' top self frames and the
# Grantry and library frames they spend their time in (inclusive).
summarize() ( # file.collapsed
  set +e +o pipefail # head closes its pipe early
  echo "Samples by thread (the first frame of each stack is its thread):"
  awk '{n = $NF; split($0, f, ";"); t = f[1]; gsub(/[ _]?tid=[0-9]+\]?$/, "", t); gsub(/-[0-9]+$/, "-N", t); gsub(/[0-9]+$/, "N", t);
    s[t] += n; all += n} END {for (x in s) printf "%6.2f%% %s\n", 100 * s[x] / all, x}' "$1" | sort -rn | head -12
  echo
  echo "Event-loop threads, top frames by self samples (% of the event loops' samples):"
  grep 'vert.x-eventloop' "$1" | awk '{n = $NF; $NF = ""; k = split($0, f, ";"); leaf = f[k];
    gsub(/ +$/, "", leaf); s[leaf] += n; t += n} END {for (l in s) printf "%6.2f%% %s\n", 100 * s[l] / t, l}' | sort -rn | head -40
  echo
  echo "Event-loop threads, inclusive samples of Grantry and library frames (% of the event loops' samples):"
  grep 'vert.x-eventloop' "$1" | awk '{n = $NF; $NF = ""; k = split($0, f, ";"); split("", seen);
    for (i = 2; i <= k; i++) { g = f[i]; gsub(/ +$/, "", g); if (g ~ /^(io\/grantry|io\/vertx|io\/netty|com\/fasterxml|io\/micrometer|java\/security|sun\/security|com\/amazon|java\/util\/UUID)/ && !(g in seen)) { seen[g] = 1; s[g] += n } }
    t += n} END {for (l in s) printf "%6.2f%% %s\n", 100 * s[l] / t, l}' | sort -rn | head -80
)
if [ "$WORKLOAD" = --summary ]; then # ops/bench/profile.sh --summary FILE.collapsed[.gz]
  f=$2; [[ "$f" == *.gz ]] && { gunzip -c "$f" > "$WORK/s.collapsed"; f=$WORK/s.collapsed; }
  summarize "$f"
  exit 0
fi

AP_JAR=~/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar
[ -f "$AP_JAR" ] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:$AP_VERSION >/dev/null
unzip -q -o "$AP_JAR" 'linux-x64/libasyncProfiler.so' -d "$WORK"
AP_LIB=$WORK/linux-x64/libasyncProfiler.so

PG_ENV=""
[ "${PGSTAT:-0}" = 1 ] && PG_ENV="GRANTRY_EMBEDDED_PG_SETTINGS=shared_preload_libraries=pg_stat_statements;pg_stat_statements.track=all"
bench_start S "$JAR" "${GRANTRY_BENCH_PORT:-18381}" \
  "${JAVA_OPTS:--Xms256m -Xmx512m} -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints" "$PG_ENV"
bench_ready S
case "$WORKLOAD" in
  refresh|flow) bench_seed_browser S "$WORKLOAD" "$CONN" ;;
  introspect-population*) bench_seed_population S "$WORKLOAD" "${POPULATION:-$((2 * ${POP_CHUNK:-100000}))}" ;;
  *) bench_seed S "$WORKLOAD" ;;
esac
SERVER=$(cat "$WORK/S/pid")
bench_round S "${WARMUP:-20}" "$CONN" >/dev/null # warm-up (JIT)
[ "$WORKLOAD" = refresh ] && bench_seed_browser S refresh "$CONN" # fresh chains: the warm-up's ended with it
case "$WORKLOAD" in introspect-population*) bench_next_lines S ;; esac # tokens the warm-up did not see
PSQL=()
if [ "${PGSTAT:-0}" = 1 ]; then
  export PGPASSWORD; PGPASSWORD=$(bench_pg_password S)
  PSQL=(psql -X -q -h 127.0.0.1 -p "$(sed -n 4p "$WORK/S/data/postgres/postmaster.pid")" -U postgres -d postgres)
  "${PSQL[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null
fi

# CPU ticks (user + system) of a set of processes, and of the whole machine.
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
machine() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
pg_pids() {
  local pm
  pm=$(head -1 "$WORK/S/data/postgres/postmaster.pid")
  echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"
}

EVENT=${EVENT:-cpu}
jcmd "$SERVER" JVMTI.agent_load "$AP_LIB" "\"start,event=$EVENT,interval=1ms,threads\"" >/dev/null
# (jcmd splits its arguments at "=": the quotes keep the options in one piece.)
PG=$(pg_pids)
# shellcheck disable=SC2086
j0=$(ticks "$SERVER"); g0=$(ticks $PG); m0=$(machine); t0=$(date +%s.%N)
(set -a; [ -f "$WORK/S/wrk.env" ] && . "$WORK/S/wrk.env"; exec wrk -t2 -c"$CONN" -d"${SECS}s" --latency -s "$WORK/S/wrk.lua" "$(cat "$WORK/S/url")") > "$WORK/wrk.txt" &
WRK=$!
w0=$(ticks "$WRK")
sleep "$SECS"
# Just before wrk ends: its own ticks vanish with it.
# shellcheck disable=SC2086
j1=$(ticks "$SERVER"); g1=$(ticks $PG); w1=$(ticks "$WRK"); m1=$(machine); t1=$(date +%s.%N)
wait "$WRK"
jcmd "$SERVER" JVMTI.agent_load "$AP_LIB" "\"dump,file=$OUT/$WORKLOAD.collapsed,collapsed\"" >/dev/null
jcmd "$SERVER" JVMTI.agent_load "$AP_LIB" "\"stop,file=$OUT/$WORKLOAD.html,title=Grantry_${WORKLOAD}_c$CONN\"" >/dev/null

HZ=$(getconf CLK_TCK)
cores() { awk -v a="$1" -v b="$2" -v s="$t0" -v e="$t1" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz / (e - s)}'; }
if [ -f "$WORK/S/wrk.env" ]; then # report.lua: RESULT requests errors p50 p99 req/s ops ops/s
  read -r _ errors p50 p99 rate ops opsrate _ < <(grep '^RESULT' "$WORK/wrk.txt" | cut -d' ' -f2-)
else
  read -r rate errors p50 p99 < <(grep '^RESULT' "$WORK/wrk.txt" | cut -d' ' -f2-)
  ops=""; opsrate=$rate
fi
if [ ${#PSQL[@]} -gt 0 ]; then
  { echo "# pg_stat_statements, $WORKLOAD, $CONN connections, ${SECS} s: ${ops:-$(awk -v r="$rate" -v s="$SECS" 'BEGIN {printf "%d", r * s}')} units of work"
    echo "# per unit = calls (or rows, or ms) / units of work; ms = total execution time"
    "${PSQL[@]}" -P pager=off -F ' | ' -A -c "SELECT round(calls / $(awk -v o="$opsrate" -v s="$SECS" 'BEGIN {print o * s}')::numeric, 3) AS calls_per_unit,
        round(rows / $(awk -v o="$opsrate" -v s="$SECS" 'BEGIN {print o * s}')::numeric, 3) AS rows_per_unit,
        round((total_exec_time / $(awk -v o="$opsrate" -v s="$SECS" 'BEGIN {print o * s}'))::numeric * 1000, 1) AS exec_us_per_unit,
        calls, round(total_exec_time::numeric, 0) AS ms, regexp_replace(query, '\s+', ' ', 'g') AS query
      FROM pg_stat_statements WHERE calls > 0 ORDER BY total_exec_time DESC LIMIT 40"
  } > "$OUT/$WORKLOAD.sql.txt"
fi
{
  echo "# $WORKLOAD, $CONN connections, ${SECS} s, $(date -u +%FT%TZ), async-profiler $AP_VERSION event=$EVENT"
  echo "requests/s $rate${ops:+, units of work/s $opsrate}, p50 $p50 ms, p99 $p99 ms, errors $errors"
  echo "CPU (cores busy over the window, of $(nproc)): JVM $(cores "$j0" "$j1"), PostgreSQL $(cores "$g0" "$g1")," \
    "wrk $(cores "$w0" "$w1"), whole machine $(cores "$m0" "$m1")"
  echo
  summarize "$OUT/$WORKLOAD.collapsed"
} | tee "$OUT/$WORKLOAD.txt"
gzip -f "$OUT/$WORKLOAD.collapsed"
