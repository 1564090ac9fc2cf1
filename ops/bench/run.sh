#!/usr/bin/env bash
# The benchmark kit of issue 8, in one command: starts Grantry (embedded PostgreSQL in a fresh
# temporary data directory, or the database of GRANTRY_DB_URL), seeds clients through the admin
# API, measures the single-core signing rate with JMH, runs wrk for every workload at 16 and 64
# connections, and writes a Markdown table (req/s, p50, p99, errors, server RSS and CPU) with the
# machine's description and the raw wrk output to ops/bench/results/<date>/.
#
# Usage: ops/bench/run.sh [rounds=3] [seconds=20]
# Environment:
#   WORKLOADS   which workloads, space-separated (default: all of them, in this order)
#               cc-es256 cc-rs256 cc-opaque refresh introspect-jwt introspect-opaque flow
#               (also, not by default: refresh-openid, refresh-openid-es256: refresh chains granted
#               openid, so every refresh signs an ID token too, RS256 / ES256)
#   CONNECTIONS default "16 64"
#   WARMUP      seconds of warm-up per workload before the first round (default: seconds)
#   JMH         1 (default): run ops/bench/jmh/run.sh first; 0: skip (no signing-limit column)
#   GRANTRY_DB_URL (+ GRANTRY_DB_USER, GRANTRY_DB_PASSWORD): benchmark on this database instead
#   GRANTRY_BENCH_PORT  default 18181
#   OUT         the result directory (default ops/bench/results/<UTC date and time>)
#   SERVER_JAVA_OPTS  JVM options added after ops/bench/jvm.opts (e.g. -XX:NativeMemoryTracking=summary,
#               whose summary then goes into raw/memory.txt with the server's memory map at the end)
# Rounds go round-robin over the workloads (round 1 of every workload, then round 2, ...), so a
# drift of the machine's speed hits every workload alike; the table shows medians of the rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECS=${2:-20}
WORKLOADS=${WORKLOADS:-cc-es256 cc-rs256 cc-opaque refresh introspect-jwt introspect-opaque flow}
CONNECTIONS=${CONNECTIONS:-16 64}
WARMUP=${WARMUP:-$SECS}
PORT=${GRANTRY_BENCH_PORT:-18181}
BASE=http://127.0.0.1:$PORT
THREADS=2
OUT=${OUT:-ops/bench/results/$(date -u +%Y-%m-%dT%H%M%SZ)}
RAW=$OUT/raw
export BENCH_LUA_DIR=$PWD/ops/bench/lua BENCH_THREADS=$THREADS
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 2; }
mkdir -p "$RAW"

JAR=modules/cli/target/grantry.jar
if [ ! -f "$JAR" ] || [ -n "$(find modules migrations -newer "$JAR" -path '*/src/main/*' -type f -print -quit)" ]; then
  mvn -B -q -DskipTests package
fi

# ---- the signing ceiling: JMH, before the server starts so nothing else competes for the cores
ES_RATE=""; RS_RATE=""
if [ "${JMH:-1}" = 1 ]; then
  ops/bench/jmh/run.sh -p provider=native -wi 2 -w 2 -i 3 -r 2 > "$RAW/jmh.txt" 2>&1 \
    || { echo "JMH failed, see $RAW/jmh.txt" >&2; exit 1; }
  cp ops/bench/results/raw/jmh-signing.json "$RAW/jmh-signing.json"
  read -r ES_RATE RS_RATE < <(python3 - "$RAW/jmh-signing.json" <<'PY'
import json, sys
rates = {r["params"]["alg"]: r["primaryMetric"]["score"] for r in json.load(open(sys.argv[1]))
         if r["params"].get("provider") == "native"}
print(round(rates.get("ES256", 0)), round(rates.get("RS256", 0)))
PY
)
fi

# ---- the server
DATA=$(mktemp -d /tmp/grantry-bench.XXXXXX)
chmod 755 "$DATA"
SERVER_ENV=(GRANTRY_HTTP_PORT="$PORT" GRANTRY_HTTP_HOST=127.0.0.1 GRANTRY_DATA_DIR="$DATA" GRANTRY_LOG_LEVEL=WARN)
if [ -n "${GRANTRY_DB_URL:-}" ]; then
  ADMIN_TOKEN=$(python3 -c "import secrets;print(secrets.token_urlsafe(32))")
  SERVER_ENV+=(GRANTRY_ADMIN_TOKEN="$ADMIN_TOKEN"
    GRANTRY_KEK="${GRANTRY_KEK:-$(python3 -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())")}"
    GRANTRY_SECRET_PEPPER="${GRANTRY_SECRET_PEPPER:-$(python3 -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())")}")
fi
# shellcheck disable=SC2046
env "${SERVER_ENV[@]}" java $(cat ops/bench/jvm.opts) ${SERVER_JAVA_OPTS:-} -jar "$JAR" > "$RAW/server.out" 2> "$RAW/server.err" &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$DATA"
  # Development mode prints the demo credentials and the admin token: keep them out of the results.
  sed -i -E 's/(client_secret: |password: |admin token: +|demo-web:)[^ ]+/\1<redacted>/' "$RAW/server.out" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 240); do
  curl -sf "$BASE/health/ready" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "the server stopped; see $RAW/server.err" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$BASE/health/ready" >/dev/null || { echo "the server did not become ready" >&2; exit 1; }
[ -n "${ADMIN_TOKEN:-}" ] || ADMIN_TOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['admin_token'])" "$DATA/secrets.json")
SETUP=$DATA/seed.json
python3 ops/bench/seed.py setup "$BASE" "$ADMIN_TOKEN" "$SETUP"
seed() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(eval(sys.argv[2], {}, d))" "$SETUP" "$1"; }
basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$(seed "clients['$1']")" | base64 -w0)"; }

# ---- the machine
PG_PID=""
[ -f "$DATA/postgres/postmaster.pid" ] && PG_PID=$(head -1 "$DATA/postgres/postmaster.pid")
if [ -n "$PG_PID" ]; then
  PG_VERSION=$("$(readlink "/proc/$PG_PID/exe")" --version 2>/dev/null || echo "embedded PostgreSQL")
  PG_VERSION="$PG_VERSION (embedded, same machine)"
else
  PG_VERSION=$(psql "${GRANTRY_DB_URL}" -Atc 'SHOW server_version' 2>/dev/null || echo "at GRANTRY_DB_URL (version unknown)")
fi
PROVIDERS=$(curl -s "$BASE/metrics" | grep '^grantry_signing_provider_info' | sed -E 's/ 1(\.0)?$//' | tr '\n' ' ')
{
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- cores (nproc): $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- JDK: $(java -version 2>&1 | head -1); server JVM options: $(cat ops/bench/jvm.opts)"
  echo "- PostgreSQL: $PG_VERSION"
  echo "- wrk: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $THREADS threads, on the same machine"
  echo "- signing providers (/metrics): $PROVIDERS"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
} > "$RAW/machine.md"

# ---- CPU accounting: clock ticks (user + system) of the server and of PostgreSQL's processes
TICKS=$(getconf CLK_TCK)
cpu_of() { # pids...
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
pg_pids() { [ -n "$PG_PID" ] && echo "$PG_PID" $(pgrep -P "$PG_PID" || true); }

# ---- one wrk run: prints "req/s ops/s p50 p99 errors rss_mb server_cores db_cores"
run() { # workload connections seconds tag
  local w=$1 c=$2 s=$3 tag=$4 script env=()
  case $w in
    cc-es256) script=form; env=(BENCH_AUTH="$(basic bench-es256)" BENCH_BODY="grant_type=client_credentials&scope=api") ;;
    cc-rs256) script=form; env=(BENCH_AUTH="$(basic bench-rs256)" BENCH_BODY="grant_type=client_credentials&scope=api") ;;
    cc-opaque) script=form; env=(BENCH_AUTH="$(basic bench-opaque)" BENCH_BODY="grant_type=client_credentials&scope=api") ;;
    introspect-jwt) script=form; env=(BENCH_AUTH="$(basic bench-es256)" BENCH_BODY="token=$(seed jwt_token)") ;;
    introspect-opaque) script=form; env=(BENCH_AUTH="$(basic bench-opaque)" BENCH_BODY="token=$(seed opaque_token)") ;;
    refresh)
      # Fresh chains for every run: a run ends with requests in flight, whose successors are lost.
      python3 ops/bench/seed.py chains "$BASE" "$SETUP" "$((c * 2))" "$DATA/chains.txt"
      script=refresh; env=(BENCH_AUTH="$(basic bench-web)" BENCH_CHAINS="$DATA/chains.txt") ;;
    refresh-openid|refresh-openid-es256)
      # The same with openid granted: each refresh also signs an ID token, RS256 for bench-web (the
      # default id_token_signed_response_alg), ES256 for bench-web-es.
      local cid=bench-web
      [ "$w" = refresh-openid-es256 ] && cid=bench-web-es
      python3 ops/bench/seed.py chains "$BASE" "$SETUP" "$((c * 2))" "$DATA/chains.txt" "$cid" "openid offline_access api"
      script=refresh; env=(BENCH_AUTH="$(basic "$cid")" BENCH_CHAINS="$DATA/chains.txt") ;;
    flow) script=flow; env=(BENCH_AUTH="$(basic bench-web)" BENCH_COOKIE="$(seed cookie)"
      BENCH_QUERY="$(seed "flow['query']")" BENCH_VERIFIER="$(seed "flow['verifier']")"
      BENCH_REDIRECT="$(seed "flow['redirect_uri']")") ;;
    *) echo "unknown workload $w" >&2; exit 2 ;;
  esac
  local path=/token
  [[ $w == introspect-* ]] && path=/introspect
  local file="$RAW/$w-c$c-$tag.txt"
  local cpu0 db0 t0 cpu1 db1 t1
  cpu0=$(cpu_of "$SERVER"); db0=$(cpu_of $(pg_pids)); t0=$(date +%s%N)
  env "${env[@]}" wrk -t"$THREADS" -c"$c" -d"${s}s" --latency -s "ops/bench/lua/$script.lua" "$BASE$path" > "$file" 2>&1
  t1=$(date +%s%N); cpu1=$(cpu_of "$SERVER"); db1=$(cpu_of $(pg_pids))
  local rss
  rss=$(awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$SERVER/status")
  read -r _ _ _ p50 p99 rate _ opsrate < <(grep '^RESULT' "$file" | tail -1 | awk '{print $1, $2, $3, $4, $5, $6, $7, $8}') \
    || { echo "no RESULT in $file" >&2; cat "$file" >&2; exit 1; }
  local errors
  errors=$(grep '^RESULT' "$file" | tail -1 | awk '{print $3}')
  awk -v r="$rate" -v o="$opsrate" -v a="$p50" -v b="$p99" -v e="$errors" -v m="$rss" \
      -v sc="$((cpu1 - cpu0))" -v dc="$((db1 - db0))" -v tk="$TICKS" -v ns="$((t1 - t0))" \
      'BEGIN {secs = ns / 1e9; printf "%s %s %s %s %s %s %.2f %.2f\n", r, o, a, b, e, m, sc / tk / secs, dc / tk / secs}'
}

declare -A RESULTS
for w in $WORKLOADS; do
  echo "warm-up: $w (${WARMUP}s)" >&2
  run "$w" 64 "$WARMUP" warmup > /dev/null
done
for r in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    for c in $CONNECTIONS; do
      line=$(run "$w" "$c" "$SECS" "r$r")
      echo "round $r: $w c=$c: $line" >&2
      RESULTS[$w:$c]+="$line;"
    done
  done
done

# ---- where the server's memory is at the end: RSS by kind, threads, the JVM's own account (when Native
# Memory Tracking is on) and the memory map's anonymous regions by size, which shows malloc arenas
{
  grep -E '^(VmRSS|RssAnon|RssFile|RssShmem|Threads)' "/proc/$SERVER/status"
  echo "SERVER_JAVA_OPTS: ${SERVER_JAVA_OPTS:-}; MALLOC_ARENA_MAX: ${MALLOC_ARENA_MAX:-unset}"
  jcmd "$SERVER" VM.native_memory summary 2>/dev/null | grep -E '^(Total|-|  *\(malloc|  *\(mmap)' || true
  echo "anonymous mappings, largest RSS first (KB: size rss):"
  pmap -x "$SERVER" 2>/dev/null | awk '/anon/ {print $2, $3}' | sort -k2 -nr | head -25 || true
} > "$RAW/memory.txt" 2>&1

# ---- the table: medians over rounds of each column
{
  echo "# Grantry benchmark: $ROUNDS round(s) × ${SECS} s"
  echo
  echo "Command: \`$0 $ROUNDS $SECS\` (WORKLOADS=\"$WORKLOADS\"). Server, PostgreSQL and wrk share this machine."
  echo "Every issued token's event is committed (fsync) before its answer."
  echo
  cat "$RAW/machine.md"
  echo
  if [ -n "$ES_RATE" ]; then
    echo "Single-core signing rate (JMH, JwsSigner, native provider, same JVM options): ES256 $ES_RATE/s, RS256 $RS_RATE/s."
    echo "\"of signing limit\" = ops/s ÷ (rate × $(nproc) cores); a code flow signs an ES256 access token and an RS256 ID token."
    echo
  fi
  echo "| workload | conns | req/s | ops/s | rounds (ops/s) | p50 ms | p99 ms | errors | server RSS MB | server CPU (cores) | PostgreSQL CPU (cores) | of signing limit |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for w in $WORKLOADS; do
    for c in $CONNECTIONS; do
      python3 - "$w" "$c" "${RESULTS[$w:$c]}" "$ES_RATE" "$RS_RATE" "$(nproc)" <<'PY'
import statistics, sys
w, c, raw, es, rs, cores = sys.argv[1:7]
rows = [list(map(float, x.split())) for x in raw.split(";") if x.strip()]
med = lambda i: statistics.median(r[i] for r in rows)
ops = med(1)
limit = ""
es, rs, cores = float(es or 0), float(rs or 0), int(cores)
if es and rs:
    per = {"cc-es256": 1 / es, "refresh": 1 / es, "cc-rs256": 1 / rs, "flow": 1 / es + 1 / rs,
           "refresh-openid": 1 / es + 1 / rs, "refresh-openid-es256": 2 / es}.get(w)
    limit = f"{ops * per / cores:.0%}" if per else "n/a (no signing)"
units = "flows/s" if w == "flow" else "tokens/s" if w in ("cc-es256", "cc-rs256", "cc-opaque") or w.startswith("refresh") else "answers/s"
print(f"| {w} | {c} | {med(0):,.0f} | {ops:,.0f} {units} | {' '.join(f'{r[1]:,.0f}' for r in rows)} | {med(2):.2f} | "
      f"{med(3):.2f} | {int(sum(r[4] for r in rows))} | {max(r[5] for r in rows):.0f} | {med(6):.2f} | {med(7):.2f} | {limit} |")
PY
    done
  done
  echo
  echo "req/s counts every HTTP request (a code flow is two); ops/s counts tokens, flows or introspection answers."
  echo "errors: non-2xx/3xx answers and socket errors summed over the rounds. RSS: the largest seen after a run."
  echo "Raw wrk output, the server's log and JMH's output: raw/."
} > "$OUT/README.md"
cat "$OUT/README.md"
