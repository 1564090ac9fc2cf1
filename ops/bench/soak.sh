#!/usr/bin/env bash
# Soak benchmark (issue 7; not a CI test): a mix of client_credentials, refresh with rotation and
# JWT introspection. First the peak of the mix (the three workloads at once, as fast as they go),
# then the mix for MINUTES at FRACTION of each workload's peak rate (wrk, paced by a per-connection
# pause in Lua, re-aimed every minute from the rate the last minute reached), sampling per minute:
# rate, p50/p99/max per workload, errors, the server's heap after a full GC (jcmd GC.run, then
# jstat) and its RSS. Writes a Markdown table and a verdict: p99 within 2x its first minute,
# heap and RSS flat (last minute within 10% of the second; the first is warm-up; in runs of under
# three minutes, of the first), no errors.
#
# Usage: ops/bench/soak.sh [minutes=10] [peak-seconds=15] [fraction=0.8] [connections-per-workload=16]
#   JAR (default modules/cli/target/grantry.jar), JAVA_OPTS (default: ops/bench/jvm.opts if present,
#   else -Xms256m -Xmx512m), OUT (default ops/bench/results/soak.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=${1:-10}
PEAK_SECS=${2:-15}
FRACTION=${3:-0.8}
CONN=${4:-16}
THREADS=1
JAR=${JAR:-modules/cli/target/grantry.jar}
OUT=${OUT:-ops/bench/results/soak.md}
MINUTE=${SOAK_MINUTE_SECONDS:-60}
if [ -z "${JAVA_OPTS:-}" ]; then
  JAVA_OPTS=$([ -f ops/bench/jvm.opts ] && cat ops/bench/jvm.opts || echo "-Xms256m -Xmx512m")
fi
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
[ -f "$JAR" ] || mvn -B -q -DskipTests package
. ops/bench/lib.sh
bench_workdir soak

# A machine shared with other work can be slow to start the server: give its database time.
bench_start S "$JAR" "${GRANTRY_BENCH_PORT:-18481}" "$JAVA_OPTS" "GRANTRY_DB_TIMEOUT_MS=${GRANTRY_DB_TIMEOUT_MS:-5000}"
bench_ready S
SERVER=$(cat "$WORK/S/pid")
BASE="http://127.0.0.1:$(cat "$WORK/S/port")"
ADMIN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['admin_token'])" "$WORK/S/data/secrets.json")
python3 ops/bench/soak/seed.py setup "$BASE" "$ADMIN" "$WORK"
secret() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['clients'][sys.argv[2]])" "$WORK/setup.json" "$1"; }
basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$(secret "$1")" | base64 -w0)"; }
CC_AUTH=$(basic soak-cc)
WEB_AUTH=$(basic soak-web)
LUA=$(cd ops/bench/soak && pwd)

# wrk_mix SECONDS DELAY_CC DELAY_REFRESH DELAY_INTROSPECT TAG: the three workloads at once; each
# one's RESULT line lands in $WORK/TAG-<workload>.txt.
wrk_mix() {
  local secs=$1 tag=$5
  python3 ops/bench/soak/seed.py chains "$BASE" "$WORK" $((CONN * 2)) "$WORK/chains.txt"
  SOAK_LUA_DIR=$LUA SOAK_DELAY_MS=$2 SOAK_PATH=/token SOAK_BODY="grant_type=client_credentials&scope=api" SOAK_AUTH=$CC_AUTH \
    wrk -t$THREADS -c"$CONN" -d"${secs}s" --latency -s "$LUA/form.lua" "$BASE/token" > "$WORK/$tag-cc.txt" 2>&1 &
  local a=$!
  SOAK_LUA_DIR=$LUA SOAK_DELAY_MS=$3 SOAK_CHAINS="$WORK/chains.txt" SOAK_THREADS=$THREADS SOAK_AUTH=$WEB_AUTH \
    wrk -t$THREADS -c"$CONN" -d"${secs}s" --latency -s "$LUA/refresh.lua" "$BASE/token" > "$WORK/$tag-refresh.txt" 2>&1 &
  local b=$!
  SOAK_LUA_DIR=$LUA SOAK_DELAY_MS=$4 SOAK_TOKENS="$WORK/tokens.txt" SOAK_AUTH=$CC_AUTH \
    wrk -t$THREADS -c"$CONN" -d"${secs}s" --latency -s "$LUA/introspect.lua" "$BASE/introspect" > "$WORK/$tag-introspect.txt" 2>&1 &
  local c=$!
  wait $a $b $c
}
# result TAG WORKLOAD FIELD: 1 rate, 2 errors, 3 p50, 4 p99, 5 max, 6 requests, 7 non-2xx, 8 timeouts (wrk: 2 s)
result() { grep '^RESULT' "$WORK/$1-$2.txt" | awk -v f="$3" '{print $(f + 1)}'; }
heap_after_gc_mb() {
  jcmd "$SERVER" GC.run >/dev/null
  jstat -gc "$SERVER" | awk 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i} NR == 2 {printf "%.0f", ($c["S0U"] + $c["S1U"] + $c["EU"] + $c["OU"]) / 1024}'
}
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status"; }

WORKLOADS="cc refresh introspect"
echo "warm-up and peak of the mix (${PEAK_SECS} s each)..." >&2
wrk_mix "$PEAK_SECS" 0 0 0 warm
wrk_mix "$PEAK_SECS" 0 0 0 peak
declare -A PEAK TARGET DELAY
for w in $WORKLOADS; do
  PEAK[$w]=$(result peak "$w" 1)
  TARGET[$w]=$(awk -v p="${PEAK[$w]}" -v f="$FRACTION" 'BEGIN {printf "%.1f", p * f}')
  # A connection's cycle is its pause plus the answer's latency: start from the pause alone.
  DELAY[$w]=$(awk -v c="$CONN" -v t="${TARGET[$w]}" 'BEGIN {printf "%.3f", c * 1000 / t}')
done
# Re-aims each pause from the rate the last run reached: a connection's cycle is its pause plus the
# latency, so the pause moves by the ratio of reached to target rate, damped (at most 2x either
# way per step) so that one noisy minute cannot swing the next one to no pause at all.
aim() { # tag
  local w rate
  for w in $WORKLOADS; do
    rate=$(result "$1" "$w" 1)
    DELAY[$w]=$(awk -v t="${TARGET[$w]}" -v r="$rate" -v d="${DELAY[$w]}" \
      'BEGIN {f = (r > 0 ? r / t : 0.5); if (f < 0.5) f = 0.5; if (f > 2) f = 2; x = d * f; printf "%.3f", x < 0.05 ? 0.05 : x}')
  done
}
echo "calibrating the pacing (15 s)..." >&2
wrk_mix 15 "${DELAY[cc]}" "${DELAY[refresh]}" "${DELAY[introspect]}" cal
aim cal

ROWS=()
declare -A FIRST_P99
HEAP=(); RSS=(); ERRORS=0
for m in $(seq 1 "$MINUTES"); do
  wrk_mix "$MINUTE" "${DELAY[cc]}" "${DELAY[refresh]}" "${DELAY[introspect]}" "m$m"
  aim "m$m"
  row="| $m |"
  for w in $WORKLOADS; do
    rate=$(result "m$m" "$w" 1); err=$(result "m$m" "$w" 2); p99=$(result "m$m" "$w" 4)
    [ "$m" = 1 ] && FIRST_P99[$w]=$p99
    ERRORS=$((ERRORS + err))
    [ "$err" = 0 ] || err="$err ($(result "m$m" "$w" 7) non-2xx, $(result "m$m" "$w" 8) timeouts)"
    row="$row $rate | $(result "m$m" "$w" 3) | $p99 | $(result "m$m" "$w" 5) | $err |"
  done
  h=$(heap_after_gc_mb); r=$(rss_mb)
  HEAP+=("$h"); RSS+=("$r")
  ROWS+=("$row $h | $r |")
  echo "minute $m: $row $h | $r |" >&2
done

# ---- verdict
P99_OK=yes
P99_NOTE=""
for w in $WORKLOADS; do
  worst=$(for m in $(seq 1 "$MINUTES"); do result "m$m" "$w" 4; done | sort -n | tail -1)
  ok=$(awk -v a="${FIRST_P99[$w]}" -v b="$worst" 'BEGIN {print (b <= 2 * a) ? "yes" : "no"}')
  [ "$ok" = yes ] || P99_OK=no
  P99_NOTE="$P99_NOTE $w: first minute ${FIRST_P99[$w]} ms, worst $worst ms ($(awk -v a="${FIRST_P99[$w]}" -v b="$worst" 'BEGIN {printf "%.2f", b / a}')x);"
done
# The first minute is warm-up: compare with the second, unless the run is too short to have a third.
ref=$([ "$MINUTES" -ge 3 ] && echo 1 || echo 0)
flat() { # values... : last within 10% of the reference (the second minute)
  local arr=("$@")
  awk -v a="${arr[$ref]}" -v b="${arr[-1]}" 'BEGIN {print (b <= a * 1.10 + 1) ? "yes" : "no"}'
}
HEAP_OK=$(flat "${HEAP[@]}")
RSS_OK=$(flat "${RSS[@]}")
{
  echo "# Soak: client_credentials + refresh (rotation) + JWT introspection (ops/bench/soak.sh $MINUTES $PEAK_SECS $FRACTION $CONN)"
  echo
  echo "$(date -u +%F), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Server: $(java -version 2>&1 | head -1), JVM options \`$JAVA_OPTS\`, embedded PostgreSQL on the same machine; wrk with $CONN connections per workload, $THREADS thread each, on the same machine."
  echo "Peak of the mix ($PEAK_SECS s, all three at once, no pause): client_credentials ${PEAK[cc]}/s, refresh ${PEAK[refresh]}/s, introspection ${PEAK[introspect]}/s."
  echo "Target: $FRACTION of each: ${TARGET[cc]}/s, ${TARGET[refresh]}/s, ${TARGET[introspect]}/s (each connection pauses between requests; the pause is re-aimed every minute; minutes of ${MINUTE} s)."
  echo "Heap: used after a full GC (jcmd GC.run at the end of each minute, then jstat). RSS: VmRSS of the server process."
  echo
  echo "| minute | cc/s | cc p50 ms | cc p99 ms | cc max ms | cc errors | refresh/s | refresh p50 ms | refresh p99 ms | refresh max ms | refresh errors | introspect/s | introspect p50 ms | introspect p99 ms | introspect max ms | introspect errors | heap after GC MB | RSS MB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "- p99 within 2x its first-minute value: **$P99_OK** ($P99_NOTE)"
  echo "- heap after GC flat (last minute within 10% of minute $((ref + 1))): **$HEAP_OK** (${HEAP[$ref]} → ${HEAP[-1]} MB)"
  echo "- RSS flat (last minute within 10% of minute $((ref + 1))): **$RSS_OK** (${RSS[$ref]} → ${RSS[-1]} MB)"
  echo "- errors (non-2xx, socket errors, timeouts): **$ERRORS**"
  echo
  echo "Refresh chains are fresh for every minute (a minute ends with requests in flight, whose successors are lost); errors count a refresh answered anything but 200."
} > "$OUT"
cat "$OUT"
