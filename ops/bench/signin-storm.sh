#!/usr/bin/env bash
# Do sign-ins starve the token endpoint? Argon2id holds 19 MiB for tens of milliseconds per
# sign-in. Starts each JAR on a fresh embedded database with the benchmark JVM options
# (ops/bench/jvm.opts: a 192 MB heap), then per round: wrk drives client_credentials (ES256) alone,
# then again while THREADS browsers sign in at /account/login over and over
# (ops/bench/signin_storm.py); jstat samples the old generation every second during the storm.
# Prints per round and the medians: token rate and p99 alone and under the storm, the old
# generation's peak (MB used of capacity), full collections during the storm, and the sign-ins
# answered 303 / 503 (with Retry-After) / otherwise.
#
# Usage: ops/bench/signin-storm.sh [JAR=label:path ...]
#   e.g. ops/bench/signin-storm.sh before:/tmp/grantry-main.jar after:modules/cli/target/grantry.jar
# Environment: ROUNDS (3), SECONDS (20), THREADS (24 sign-in browsers), CONNECTIONS (16, wrk),
#   SERVER_ENV (extra GRANTRY_* settings for every server), HONOR_RETRY_AFTER (1: a browser told
#   503 waits Retry-After before signing in again, as a person would; 0: it retries at once)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
command -v jstat >/dev/null || { echo "jstat is missing (a JDK)" >&2; exit 2; }
ROUNDS=${ROUNDS:-3}
SECONDS_PER=${SECONDS:-20}
THREADS=${THREADS:-24}
CONNECTIONS=${CONNECTIONS:-16}
[ $# -gt 0 ] || set -- "after:modules/cli/target/grantry.jar"
. ops/bench/lib.sh
bench_workdir signin-storm
JVM_OPTS=$(cat ops/bench/jvm.opts)
PASSWORD="storm password 123"

# Old generation peak (used MB, capacity MB) and full collections, from a jstat -gc log.
old_gen() {
  awk 'NR == 1 {for (i = 1; i <= NF; i++) col[$i] = i; next}
       {ou = $col["OU"] / 1024; oc = $col["OC"] / 1024; if (ou > max) {max = ou; cap = oc};
        if (first == "") first = $col["FGC"]; last = $col["FGC"]}
       END {printf "%.0f %.0f %d", max, cap, last - first}' "$1"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; JVM: $JVM_OPTS; $THREADS sign-in browsers, honor Retry-After: ${HONOR_RETRY_AFTER:-1}; wrk $CONNECTIONS connections, ${SECONDS_PER} s per window"
port=18470
for spec in "$@"; do
  label=${spec%%:*}
  jar=${spec#*:}
  port=$((port + 1))
  bench_start "$label" "$jar" "$port" "$JVM_OPTS" "GRANTRY_HTTP_INSTANCES=2 ${SERVER_ENV:-}"
  bench_ready "$label"
  bench_seed "$label" cc-es256
  base="http://127.0.0.1:$port"
  token=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['admin_token'])" "$WORK/$label/data/secrets.json")
  curl -sf -X POST "$base/admin/users" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"storm\",\"password\":\"$PASSWORD\"}" >/dev/null
  pid=$(cat "$WORK/$label/pid")
  bench_round "$label" 10 "$CONNECTIONS" >/dev/null # warm-up (JIT)
  python3 ops/bench/signin_storm.py "$base" storm "$PASSWORD" 4 5 >/dev/null # warm the sign-in path too
  echo "== $label ($jar)"
  echo "round  alone: tokens/s p99_ms  storm: tokens/s p99_ms  old_gen_peak_MB/capacity  full_gcs  sign-ins: answered 303 503-busy(retry-after) 503-deadline other p50_ms p99_ms"
  ra=(); pa=(); rs=(); ps=(); og=(); fg=(); ok=(); busy=(); late=(); other=()
  for r in $(seq 1 "$ROUNDS"); do
    read -r rate_a _ _ p99_a _ <<<"$(bench_round "$label" "$SECONDS_PER" "$CONNECTIONS")"
    jstat -gc "$pid" 1000 > "$WORK/$label/jstat.$r" 2>/dev/null &
    jst=$!
    python3 ops/bench/signin_storm.py "$base" storm "$PASSWORD" "$THREADS" "$((SECONDS_PER + 2))" "${HONOR_RETRY_AFTER:-1}" \
      > "$WORK/$label/storm.$r" &
    storm=$!
    sleep 1
    read -r rate_s _ _ p99_s _ <<<"$(bench_round "$label" "$SECONDS_PER" "$CONNECTIONS")"
    wait "$storm"
    kill "$jst" 2>/dev/null || true; wait "$jst" 2>/dev/null || true
    read -r ou oc fgc <<<"$(old_gen "$WORK/$label/jstat.$r")"
    read -r _ n s_ok s_busy s_other s_p50 s_p99 s_retry s_late <<<"$(cat "$WORK/$label/storm.$r")"
    printf '%-5s  %8s %7s  %8s %7s  %4s/%-4s  %3s  %5s %5s %5s(%s) %5s %5s %6s %6s\n' "$r" "$rate_a" "$p99_a" "$rate_s" "$p99_s" \
      "$ou" "$oc" "$fgc" "$n" "$s_ok" "$s_busy" "$s_retry" "$s_late" "$s_other" "$s_p50" "$s_p99"
    ra+=("$rate_a"); pa+=("$p99_a"); rs+=("$rate_s"); ps+=("$p99_s"); og+=("$ou"); fg+=("$fgc")
    ok+=("$s_ok"); busy+=("$s_busy"); late+=("$s_late"); other+=("$s_other")
  done
  printf 'median %8s %7s  %8s %7s  %4s      %3s  %5s %5s %5s     %5s %5s\n' \
    "$(bench_median "${ra[@]}")" "$(bench_median "${pa[@]}")" "$(bench_median "${rs[@]}")" "$(bench_median "${ps[@]}")" \
    "$(bench_median "${og[@]}")" "$(bench_median "${fg[@]}")" "" "$(bench_median "${ok[@]}")" \
    "$(bench_median "${busy[@]}")" "$(bench_median "${late[@]}")" "$(bench_median "${other[@]}")"
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
