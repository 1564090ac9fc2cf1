#!/usr/bin/env bash
# The benchmark kit, in one command: Grantry side by side with a reference peer (node-oidc-provider 9,
# in memory) measured round-robin in the same run, hot workloads on one long-running server, and the
# real-traffic workloads (grants refreshed once with long histories, token populations introspected
# once, a freshly started server) on a second server restarted before each of their rounds. Writes a
# Markdown table (ops/s and its ratio to the reference, p50, p99, errors, RSS, CPU microseconds per
# unit of the server and of PostgreSQL, medians of the rounds) with the machine's description and its
# load at the start and end to ops/bench/results/<date>/ (raw wrk output under raw/, ignored by git).
#
# Usage: ops/bench/run.sh [rounds=3] [seconds=20]
# Environment:
#   WORKLOADS   which workloads, space-separated (default: all of them, in this order)
#               cc-es256 cc-rs256 cc-opaque refresh introspect-jwt introspect-opaque flow
#               (also cc-pkj: client_credentials with private_key_jwt, ES256 assertions signed
#               ahead of each run with unique jti, PKJ_RATE per second of the run, default 4000;
#               cc-dpop: client_credentials of bench-es256 with a DPoP proof each, made the same
#               way, DPOP_RATE per second, default 4000)
#               refresh-cold refresh-cold-fresh introspect-population introspect-population-opaque
#               cc-fresh-start
#               and, not by default: exchange, exchange-actor: RFC 8693 token exchange of a cc token
#               (also, not by default: refresh-openid, refresh-openid-es256: refresh chains granted
#               openid, so every refresh signs an ID token too, RS256 / ES256)
#   REFERENCE   which reference workloads (default "ref-cc-jwt ref-cc-opaque ref-introspect"; also
#               ref-cc-es256; "" for none): node-oidc-provider's client_credentials with RS256 JWT,
#               opaque access tokens, and introspection of one opaque token
#   CONNECTIONS default "16 64" (the cold workloads and cc-fresh-start run at 64 only)
#   WARMUP      seconds of warm-up per hot workload before the first round (default: seconds)
#   COLD_HISTORY  rotations of each refresh-cold grant before it is measured (default 360)
#   COLD_GRANTS   grants refreshed per round of refresh-cold and refresh-cold-fresh (default 1000)
#   COLD_WARM_GRANTS  grants of the same kind refreshed once each after COLD_WARMUP, before the
#                 measured ones (default 200)
#   GROW_BATCH    chains grown at a time (default 200: their states fit the grant cache)
#   COLD_WARMUP   seconds of hot refresh (other chains) after each restart (default 10)
#   COLD_DEADLINE seconds (default 10) a round of a cold workload waits for its last answers once
#                 every request is sent (lua/once.lua): then each request still unanswered counts as
#                 late (an error; the report gives the count) and the round ends
#   PGSTAT      1: the cold servers' PostgreSQL loads pg_stat_statements, and each measured cold round
#               writes raw/pgstat-<workload>-<round>.txt: every statement's calls, rows, execution
#               time and shared buffers per unit (refresh, answer) over that round (needs psql)
#   POPULATION    tokens introspected per round of introspect-population[-opaque] (default 100000),
#                 after POPULATION_WARM others (default 20000) introspected once each to warm the JIT
#   FRESH_SECS, FRESH_WINDOW  cc-fresh-start: seconds measured after the start (60), window (5)
#   JMH         1 (default): run ops/bench/jmh/run.sh first; 0: skip (no signing-limit column)
#   GRANTRY_DB_URL (+ GRANTRY_DB_USER, GRANTRY_DB_PASSWORD): the hot server on this database instead
#   GRANTRY_BENCH_PORT  default 18181 (the cold server takes the next port, the reference 18190)
#   OUT         the result directory (default ops/bench/results/<UTC date and time>)
#   SERVER_JAVA_OPTS  JVM options added after ops/bench/jvm.opts for both servers
#   JAR_NOTE    what the jar is, for the report (e.g. the commit it was built from)
#   JAR         the jar to run (default: modules/cli/target/grantry.jar, built when older than the sources)
#   SERVER_ENV  settings for both servers, e.g. "GRANTRY_GRANT_SNAPSHOT_EVERY=0" (space-separated)
#   B_JAR, B_JAVA_OPTS, B_ENV, B_NOTE  an A/B of the cold workloads and cc-fresh-start in the same run:
#               when one is set, each of them also runs on a third server, "coldb" (B_JAR, default
#               JAR; B_JAVA_OPTS added after SERVER_JAVA_OPTS; B_ENV after SERVER_ENV), with its own
#               embedded PostgreSQL and populations made by itself; every round runs A then B (B then
#               A in even rounds), and B's rows are named <workload>@B
# Rounds go round-robin over the workloads and the reference (round 1 of every workload, then round 2,
# ...), so a drift of the machine's speed hits every workload alike.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECS=${2:-20}
WORKLOADS=${WORKLOADS:-cc-es256 cc-rs256 cc-opaque refresh introspect-jwt introspect-opaque flow refresh-cold refresh-cold-fresh introspect-population introspect-population-opaque cc-fresh-start}
REFERENCE=${REFERENCE-ref-cc-jwt ref-cc-opaque ref-introspect}
CONNECTIONS=${CONNECTIONS:-16 64}
WARMUP=${WARMUP:-$SECS}
COLD_HISTORY=${COLD_HISTORY:-360}
COLD_GRANTS=${COLD_GRANTS:-1000}
COLD_WARMUP=${COLD_WARMUP:-10}
COLD_WARM_GRANTS=${COLD_WARM_GRANTS:-200}
POPULATION=${POPULATION:-100000}
POPULATION_WARM=${POPULATION_WARM:-20000}
FRESH_SECS=${FRESH_SECS:-60}
FRESH_WINDOW=${FRESH_WINDOW:-5}
PORT=${GRANTRY_BENCH_PORT:-18181}
COLD_PORT=$((PORT + 1))
REF_PORT=18190
THREADS=2
OUT=${OUT:-ops/bench/results/$(date -u +%Y-%m-%dT%H%M%SZ)}
RAW=$OUT/raw
export BENCH_LUA_DIR=$PWD/ops/bench/lua BENCH_THREADS=$THREADS BENCH_DEADLINE=${COLD_DEADLINE:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 2; }
mkdir -p "$RAW"
: > "$RAW/results.jsonl"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
UPTIME_START=$(uptime)

# JAR: a jar to run instead of building modules/cli/target/grantry.jar (e.g. a copy, while a build
# in the same tree would rewrite it under the running servers)
if [ -z "${JAR:-}" ]; then
  JAR=modules/cli/target/grantry.jar
  if [ ! -f "$JAR" ] || [ -n "$(find modules migrations -newer "$JAR" -path '*/src/main/*' -type f -print -quit)" ]; then
    mvn -B -q -DskipTests package
  fi
fi

has() { [[ " $WORKLOADS " == *" $1 "* ]]; }
has_cold() { has refresh-cold || has refresh-cold-fresh || has introspect-population || has introspect-population-opaque || has cc-fresh-start; }

# ---- the signing ceiling: JMH, before the servers start so nothing else competes for the cores
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

# ---- the servers: "hot" for the steady-state workloads, "cold" restarted before each round of the
# real-traffic ones; each on an embedded PostgreSQL of its own in a temporary directory
WORK=$(mktemp -d /tmp/grantry-bench.XXXXXX)
chmod 755 "$WORK"
declare -A SRV_PID SRV_DATA SRV_PORT SRV_ENV_EXTRA
SRV_DATA[hot]=$WORK/hot; SRV_PORT[hot]=$PORT
SRV_DATA[cold]=$WORK/cold; SRV_PORT[cold]=$COLD_PORT
declare -A SRV_JAR SRV_JOPTS
AB=""
if [ -n "${B_JAR:-}${B_JAVA_OPTS:-}${B_ENV:-}" ]; then
  AB=1
  SRV_DATA[coldb]=$WORK/coldb; SRV_PORT[coldb]=$((PORT + 2))
  SRV_JAR[coldb]=${B_JAR:-$JAR}; SRV_JOPTS[coldb]=${B_JAVA_OPTS:-}
fi
# Tokens of the populations must outlive the run (they are introspected up to ~40 minutes later).
SRV_ENV_EXTRA[cold]="GRANTRY_ACCESS_TOKEN_TTL_SECONDS=14400"
SRV_ENV_EXTRA[coldb]="GRANTRY_ACCESS_TOKEN_TTL_SECONDS=14400"
if [ "${PGSTAT:-0}" = 1 ]; then
  command -v psql >/dev/null || { echo "PGSTAT=1 needs psql: apt-get install postgresql-client" >&2; exit 2; }
  for n in cold coldb; do
    SRV_ENV_EXTRA[$n]="${SRV_ENV_EXTRA[$n]} GRANTRY_EMBEDDED_PG_SETTINGS=shared_preload_libraries=pg_stat_statements;pg_stat_statements.track=all"
  done
fi
SRV_ENV_EXTRA[coldb]="${SRV_ENV_EXTRA[coldb]} ${B_ENV:-}"
# The cold servers: A, and B for an A/B (B_JAR ...); suffix: how a server's rows are named
COLD_SERVERS="cold${AB:+ coldb}"
suffix() { [ "$1" = coldb ] && echo "@B" || true; }
# The cold servers in round r's order: A first in odd rounds, B first in even ones
cold_order() { if [ -n "$AB" ] && [ $(($1 % 2)) = 0 ]; then echo "coldb cold"; else echo "$COLD_SERVERS"; fi; }
REF_PID=""
for n in hot $COLD_SERVERS; do mkdir -p "${SRV_DATA[$n]}" && chmod 755 "${SRV_DATA[$n]}"; done
ADMIN_TOKEN_HOT=""
HOT_ENV=()
if [ -n "${GRANTRY_DB_URL:-}" ]; then
  ADMIN_TOKEN_HOT=$(python3 -c "import secrets;print(secrets.token_urlsafe(32))")
  HOT_ENV+=(GRANTRY_ADMIN_TOKEN="$ADMIN_TOKEN_HOT"
    GRANTRY_KEK="${GRANTRY_KEK:-$(python3 -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())")}"
    GRANTRY_SECRET_PEPPER="${GRANTRY_SECRET_PEPPER:-$(python3 -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())")}")
fi

start_server() { # name
  local n=$1 extra=()
  [ "$n" = hot ] && extra=("${HOT_ENV[@]}")
  # shellcheck disable=SC2046,SC2086
  env GRANTRY_HTTP_PORT="${SRV_PORT[$n]}" GRANTRY_HTTP_HOST=127.0.0.1 GRANTRY_DATA_DIR="${SRV_DATA[$n]}" \
    GRANTRY_LOG_LEVEL=WARN "${extra[@]}" ${SRV_ENV_EXTRA[$n]:-} ${SERVER_ENV:-} \
    java $(cat ops/bench/jvm.opts) ${SERVER_JAVA_OPTS:-} ${SRV_JOPTS[$n]:-} -jar "${SRV_JAR[$n]:-$JAR}" >> "$RAW/server-$n.out" 2>> "$RAW/server-$n.err" &
  SRV_PID[$n]=$!
  # started: the moment the process was started; the caller waits for readiness with wait_ready
}
wait_ready() { # name
  local n=$1 base=http://127.0.0.1:${SRV_PORT[$1]}
  for _ in $(seq 1 480); do
    curl -sf "$base/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "${SRV_PID[$n]}" 2>/dev/null || { echo "the $n server stopped; see $RAW/server-$n.err" >&2; exit 1; }
    sleep 0.25
  done
  echo "the $n server did not become ready" >&2; exit 1
}
stop_server() { # name
  local p=${SRV_PID[$1]:-}
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || true
  while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
  SRV_PID[$1]=""
}
UNTIL_PID=""
cleanup() {
  [ -n "$UNTIL_PID" ] && kill -INT "$UNTIL_PID" 2>/dev/null || true
  stop_server hot || true
  stop_server cold || true
  stop_server coldb || true
  [ -n "$REF_PID" ] && { kill "$REF_PID" 2>/dev/null || true; wait "$REF_PID" 2>/dev/null || true; }
  rm -rf "$WORK"
  # Development mode prints the demo credentials and the admin token: keep them out of the results.
  sed -i -E 's/(client_secret: |password: |admin token: +|demo-web:)[^ ]+/\1<redacted>/' "$RAW"/server-*.out 2>/dev/null || true
}
trap cleanup EXIT

seed_server() { # name -> writes $WORK/seed-<name>.json
  local n=$1 token
  token=$ADMIN_TOKEN_HOT
  [ "$n" = hot ] && [ -n "$token" ] || token=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['admin_token'])" "${SRV_DATA[$n]}/secrets.json")
  # The public key of the private_key_jwt client (bench-pkj); its assertions are signed per run.
  [ -f "$WORK/pkj-key.json" ] || java -cp "$JAR" ops/bench/jwt/BenchJwts.java key "$WORK/pkj-key.json"
  BENCH_PKJ_KEY="$WORK/pkj-key.json" python3 ops/bench/seed.py setup "http://127.0.0.1:${SRV_PORT[$n]}" "$token" "$WORK/seed-$n.json"
}
# assertions SERVER SECONDS: PKJ_RATE assertions per second of the run, for cc-pkj, in $WORK/pkj.txt
assertions() {
  local issuer
  issuer=$(curl -s "http://127.0.0.1:${SRV_PORT[$1]}/.well-known/openid-configuration" | python3 -c 'import json,sys;print(json.load(sys.stdin)["issuer"])')
  java -cp "$JAR" ops/bench/jwt/BenchJwts.java assertions "$WORK/pkj-key.json" bench-pkj "$issuer" \
    "$(( ${PKJ_RATE:-4000} * $2 ))" "$WORK/pkj.txt"
}
# proofs SERVER SECONDS: DPOP_RATE DPoP proofs per second of the run, for cc-dpop, in $WORK/dpop.txt
proofs() {
  local issuer
  issuer=$(curl -s "http://127.0.0.1:${SRV_PORT[$1]}/.well-known/openid-configuration" | python3 -c 'import json,sys;print(json.load(sys.stdin)["issuer"])')
  java -cp "$JAR" ops/bench/jwt/BenchJwts.java dpop "$WORK/pkj-key.json" "$issuer/token" \
    "$(( ${DPOP_RATE:-4000} * $2 ))" "$WORK/dpop.txt"
}
seed() { # name expression
  python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(eval(sys.argv[2], {}, d))" "$WORK/seed-$1.json" "$2"
}
basic() { # name client
  printf 'Basic %s' "$(printf '%s:%s' "$2" "$(seed "$1" "clients['$2']")" | base64 -w0)"
}

start_server hot
wait_ready hot
seed_server hot
if has_cold; then
  for n in $COLD_SERVERS; do
    start_server "$n"
    wait_ready "$n"
    seed_server "$n"
  done
fi

# ---- the reference peer
REF_SECRET=ref-secret-of-the-benchmark
if [ -n "$REFERENCE" ]; then
  command -v node >/dev/null || { echo "node is missing (the reference peer); REFERENCE= to skip it" >&2; exit 2; }
  REF_DIR=$(ops/bench/reference/install.sh)
  REF_VERSION=$(node -e "console.log(require('$REF_DIR/node_modules/oidc-provider/package.json').version)")
  REF_MODULES=$REF_DIR/node_modules REF_SECRET=$REF_SECRET node ops/bench/reference/oidc-provider.mjs "$REF_PORT" \
    > "$RAW/reference.out" 2>&1 &
  REF_PID=$!
  for _ in $(seq 1 100); do grep -q "reference ready" "$RAW/reference.out" && break; sleep 0.1; done
  grep -q "reference ready" "$RAW/reference.out" || { echo "the reference did not start: $RAW/reference.out" >&2; exit 1; }
  REF_OPAQUE=$(curl -sf -u "ref-opaque:$REF_SECRET" -d 'grant_type=client_credentials&scope=api' \
    "http://127.0.0.1:$REF_PORT/token" | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
fi
ref_basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$REF_SECRET" | base64 -w0)"; }

# ---- the machine
pg_pid_of() { # name
  local f=${SRV_DATA[$1]}/postgres/postmaster.pid
  [ -f "$f" ] && head -1 "$f" || true
}
PG_PID=$(pg_pid_of hot)
if [ -n "$PG_PID" ]; then
  PG_VERSION=$("$(readlink "/proc/$PG_PID/exe")" --version 2>/dev/null || echo "embedded PostgreSQL")
  PG_VERSION="$PG_VERSION (embedded, same machine)"
else
  PG_VERSION=$(psql "${GRANTRY_DB_URL}" -Atc 'SHOW server_version' 2>/dev/null || echo "at GRANTRY_DB_URL (version unknown)")
fi
PROVIDERS=$(curl -s "http://127.0.0.1:$PORT/metrics" | grep '^grantry_signing_provider_info' | sed -E 's/ 1(\.0)?$//' | tr '\n' ' ')
{
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- cores (nproc): $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "- load at the start: \`$UPTIME_START\`"
  echo "- JDK: $(java -version 2>&1 | head -1); server JVM options: $(cat ops/bench/jvm.opts) ${SERVER_JAVA_OPTS:-}; SERVER_ENV: ${SERVER_ENV:-none}"
  echo "- PostgreSQL: $PG_VERSION"
  echo "- wrk: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $THREADS threads, on the same machine"
  echo "- signing providers (/metrics): $PROVIDERS"
  [ -n "$REFERENCE" ] && echo "- reference: node-oidc-provider $REF_VERSION on node $(node --version), one process, in-memory adapter (nothing durable), ops/bench/reference/oidc-provider.mjs"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with local changes)'); jar: $JAR${JAR_NOTE:+ ($JAR_NOTE)}"
  [ -n "$AB" ] && echo "- A/B of the cold workloads: A = the cold server above; B (rows <workload>@B) = jar ${SRV_JAR[coldb]}${B_NOTE:+ ($B_NOTE)}, JVM options added: ${B_JAVA_OPTS:-none}, environment added: ${B_ENV:-none}"
} > "$RAW/machine.md"

# ---- CPU accounting: clock ticks (user + system) of a server and of its PostgreSQL's processes
TICKS=$(getconf CLK_TCK)
cpu_of() { # pids...
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
pids_of() { # name: the server's process and its PostgreSQL's (the node process alone for ref)
  if [ "$1" = ref ]; then echo "$REF_PID"; return; fi
  echo "${SRV_PID[$1]}"
}
pg_pids_of() {
  [ "$1" = ref ] && return 0
  local pg
  pg=$(pg_pid_of "$1")
  [ -n "$pg" ] && echo "$pg" $(pgrep -P "$pg" || true)
  return 0
}

# record SERVER WORKLOAD CONNS TAG FILE CPU0 DB0 T0 [extra JSON members]: appends one result to
# raw/results.jsonl from the RESULT line of FILE and the CPU since CPU0/DB0.
record() {
  local srv=$1 w=$2 c=$3 tag=$4 file=$5 cpu0=$6 db0=$7 t0=$8 extra=${9:-}
  local t1 cpu1 db1 rss=0 pid
  t1=$(date +%s%N); cpu1=$(cpu_of $(pids_of "$srv")); db1=$(cpu_of $(pg_pids_of "$srv"))
  pid=$(pids_of "$srv")
  [ -r "/proc/$pid/status" ] && rss=$(awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$pid/status")
  local line
  line=$(grep '^RESULT' "$file" | tail -1) || { echo "no RESULT in $file" >&2; cat "$file" >&2; exit 1; }
  python3 - "$line" "$srv" "$w" "$c" "$tag" "$((cpu1 - cpu0))" "$((db1 - db0))" "$TICKS" "$((t1 - t0))" "$rss" "$extra" \
    >> "$RAW/results.jsonl" <<'PY'
import json, sys
line, srv, w, c, tag, sc, dc, tk, ns, rss, extra = sys.argv[1:12]
_, req, err, p50, p99, rps, ops, opsps = line.split()[:8]
late = int(line.split()[8]) if len(line.split()) > 8 else 0
secs, sc, dc, tk, ops = int(ns) / 1e9, int(sc), int(dc), int(tk), int(ops)
r = {"server": srv, "workload": w, "conns": int(c), "tag": tag, "requests": int(req), "errors": int(err), "late": late,
     "p50": float(p50), "p99": float(p99), "rps": float(rps), "ops": ops, "ops_s": float(opsps), "rss_mb": int(rss),
     "server_cores": sc / tk / secs, "db_cores": dc / tk / secs,
     "server_us": sc / tk / ops * 1e6 if ops else None, "db_us": dc / tk / ops * 1e6 if ops else None}
if extra:
    r.update(json.loads(extra))
print(json.dumps(r))
PY
  tail -1 "$RAW/results.jsonl" | python3 -c "import json,sys;r=json.load(sys.stdin);print(f\"  {r['tag']}: {r['workload']} c={r['conns']}: {r['ops_s']:,.0f}/s p99 {r['p99']} ms, errors {r['errors']}{' (%d late)' % r['late'] if r.get('late') else ''}, server {r['server_us'] or 0:.0f} us + PG {r['db_us'] or 0:.0f} us per op\")" >&2
}

# wrk_file SERVER WORKLOAD CONNS SECONDS TAG: one wrk run of a hot or reference workload
run_hot() {
  local srv=$1 w=$2 c=$3 s=$4 tag=$5 script env=() base path=/token
  base=http://127.0.0.1:${SRV_PORT[$srv]:-$REF_PORT}
  case $w in
    cc-es256|cc-fresh-start) script=form; env=(BENCH_AUTH="$(basic "$srv" bench-es256)" BENCH_BODY="grant_type=client_credentials&scope=api") ;;
    cc-rs256) script=form; env=(BENCH_AUTH="$(basic "$srv" bench-rs256)" BENCH_BODY="grant_type=client_credentials&scope=api") ;;
    cc-pkj) script=assertion; assertions "$srv" "$s"; env=(BENCH_MODE=assertion BENCH_LINES="$WORK/pkj.txt") ;;
    cc-dpop) script=assertion; proofs "$srv" "$s"; env=(BENCH_MODE=dpop BENCH_AUTH="$(basic "$srv" bench-es256)" BENCH_LINES="$WORK/dpop.txt") ;;
    cc-opaque) script=form; env=(BENCH_AUTH="$(basic "$srv" bench-opaque)" BENCH_BODY="grant_type=client_credentials&scope=api") ;;
    exchange|exchange-actor)
      # RFC 8693: bench-exchange trades its own client_credentials token (subject; with -actor also
      # the actor) for a new one: both checked against the token state, a new grant appended.
      local at=urn:ietf:params:oauth:token-type:access_token tok body
      tok=$(seed "$srv" exchange_token)
      body="grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=$tok&subject_token_type=$at"
      [ "$w" = exchange-actor ] && body="$body&actor_token=$tok&actor_token_type=$at"
      script=form; env=(BENCH_AUTH="$(basic "$srv" bench-exchange)" BENCH_BODY="$body") ;;
    introspect-jwt) script=form; path=/introspect; env=(BENCH_AUTH="$(basic "$srv" bench-es256)" BENCH_BODY="token=$(seed "$srv" jwt_token)") ;;
    introspect-opaque) script=form; path=/introspect; env=(BENCH_AUTH="$(basic "$srv" bench-opaque)" BENCH_BODY="token=$(seed "$srv" opaque_token)") ;;
    refresh)
      # Fresh chains for every run: a run ends with requests in flight, whose successors are lost.
      python3 ops/bench/seed.py chains "$base" "$WORK/seed-$srv.json" "$((c * 2))" "$WORK/chains.txt"
      script=refresh; env=(BENCH_AUTH="$(basic "$srv" bench-web)" BENCH_CHAINS="$WORK/chains.txt") ;;
    refresh-openid|refresh-openid-es256)
      local cid=bench-web
      [ "$w" = refresh-openid-es256 ] && cid=bench-web-es
      python3 ops/bench/seed.py chains "$base" "$WORK/seed-$srv.json" "$((c * 2))" "$WORK/chains.txt" "$cid" "openid offline_access api"
      script=refresh; env=(BENCH_AUTH="$(basic "$srv" "$cid")" BENCH_CHAINS="$WORK/chains.txt") ;;
    flow) script=flow; env=(BENCH_AUTH="$(basic "$srv" bench-web)" BENCH_COOKIE="$(seed "$srv" cookie)"
      BENCH_QUERY="$(seed "$srv" "flow['query']")" BENCH_VERIFIER="$(seed "$srv" "flow['verifier']")"
      BENCH_REDIRECT="$(seed "$srv" "flow['redirect_uri']")") ;;
    ref-cc-jwt) script=form; env=(BENCH_AUTH="$(ref_basic ref-jwt)" BENCH_BODY="grant_type=client_credentials&scope=api") ;;
    ref-cc-es256) script=form; env=(BENCH_AUTH="$(ref_basic ref-es256)" BENCH_BODY="grant_type=client_credentials&scope=api") ;;
    ref-cc-opaque) script=form; env=(BENCH_AUTH="$(ref_basic ref-opaque)" BENCH_BODY="grant_type=client_credentials&scope=api") ;;
    ref-introspect) script=form; path=/token/introspection; env=(BENCH_AUTH="$(ref_basic ref-opaque)" BENCH_BODY="token=$REF_OPAQUE") ;;
    *) echo "unknown workload $w" >&2; exit 2 ;;
  esac
  local file="$RAW/$w$(suffix "$srv")-c$c-$tag.txt" cpu0 db0 t0
  cpu0=$(cpu_of $(pids_of "$srv")); db0=$(cpu_of $(pg_pids_of "$srv")); t0=$(date +%s%N)
  env "${env[@]}" wrk -t"$THREADS" -c"$c" -d"${s}s" --latency -s "ops/bench/lua/$script.lua" "$base$path" > "$file" 2>&1
  [ "$tag" = warmup ] || record "$srv" "$w$(suffix "$srv")" "$c" "$tag" "$file" "$cpu0" "$db0" "$t0" "${6:-}"
}

# until_lines N FILES... -- wrk ARGS: runs wrk until the files hold N lines together, or until no
# line came for 10 s once 90% are there (a request lost to a socket error loses its chain), at most
# 20 minutes; at least 98% of N must be there.
until_lines() {
  local n=$1; shift
  local files=()
  while [ "$1" != -- ]; do files+=("$1"); shift; done
  shift
  "$@" > "$WORK/until.out" 2>&1 &
  local pid=$! have=0 last=0 still=0
  UNTIL_PID=$pid
  for _ in $(seq 1 4800); do
    have=$( (cat "${files[@]}" 2>/dev/null || true) | wc -l)
    [ "$have" -ge "$n" ] && break
    kill -0 $pid 2>/dev/null || break
    # Chains rotate in step, so most end together at the end: only then is a pause a stall.
    if [ "$have" = "$last" ] && [ "$have" -ge $((n * 9 / 10)) ]; then still=$((still + 1)); else still=0; last=$have; fi
    [ "$still" -ge 40 ] && break
    sleep 0.25
  done
  kill -INT $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  [ "$have" -ge $((n * 98 / 100)) ] || { echo "only $have of $n lines: $(tail -3 "$WORK/until.out")" >&2; exit 1; }
}

# ---- the populations of the cold workloads, made on the cold server before any round
grow_chains() { # server name rotations: per round, $WORK/<server>-<name>.w<round> (COLD_WARM_GRANTS) and .m<round> (COLD_GRANTS)
  local srv=$1 name=$1-$2 rot=$3 n=$((ROUNDS * (COLD_GRANTS + COLD_WARM_GRANTS)))
  local base=http://127.0.0.1:${SRV_PORT[$1]}
  echo "population $name: $n grants, $rot rotations each" >&2
  python3 ops/bench/seed.py chains "$base" "$WORK/seed-$srv.json" "$n" "$WORK/$name.chains"
  if [ "$rot" -gt 0 ]; then
    # In batches of GROW_BATCH chains: all of a batch's states fit the grant cache (a state weighs
    # one per access token it keeps, and a history made in minutes keeps them all), so the
    # rotations are hot; growing every chain at once thrashed the cache and read whole streams.
    : > "$WORK/$name.all"
    local failed=0 b
    split -d -a 3 -l "${GROW_BATCH:-200}" "$WORK/$name.chains" "$WORK/$name.batch."
    for b in "$WORK/$name.batch".*; do
      rm -f "$WORK/$name.grown".*
      until_lines "$(wc -l < "$b")" "$WORK/$name.grown.0" "$WORK/$name.grown.1" -- \
        env BENCH_AUTH="$(basic "$srv" bench-web)" BENCH_CHAINS="$b" BENCH_ROTATIONS="$rot" \
        BENCH_OUT="$WORK/$name.grown" wrk -t"$THREADS" -c64 -d1200s --timeout 60s -s ops/bench/lua/grow.lua "$base/token"
      grep -hv '^FAILED' "$WORK/$name.grown".* >> "$WORK/$name.all" || true
      failed=$((failed + $(cat "$WORK/$name.grown".* | grep -c '^FAILED' || true)))
    done
    [ "$failed" = 0 ] || echo "  $failed chains failed while growing" >&2
  else
    cp "$WORK/$name.chains" "$WORK/$name.all"
  fi
  split -d -a 1 -l "$((COLD_GRANTS + COLD_WARM_GRANTS))" --numeric-suffixes=1 "$WORK/$name.all" "$WORK/$name.r"
  for r in $(seq 1 "$ROUNDS"); do
    head -n "$COLD_WARM_GRANTS" "$WORK/$name.r$r" > "$WORK/$name.w$r"
    tail -n +"$((COLD_WARM_GRANTS + 1))" "$WORK/$name.r$r" > "$WORK/$name.m$r"
  done
}
collect_tokens() { # server name client count
  local srv=$1 name=$1-$2 cid=$3 n=$4 base=http://127.0.0.1:${SRV_PORT[$1]}
  echo "population $name: $n tokens of $cid" >&2
  rm -f "$WORK/$name.tok".*
  until_lines "$n" "$WORK/$name.tok.0" "$WORK/$name.tok.1" -- \
    env BENCH_AUTH="$(basic "$srv" "$cid")" BENCH_BODY="grant_type=client_credentials&scope=api" \
    BENCH_COUNT="$((n / THREADS + 1))" BENCH_OUT="$WORK/$name.tok" wrk -t"$THREADS" -c64 -d1200s --timeout 60s -s ops/bench/lua/collect.lua "$base/token"
  cat "$WORK/$name.tok".* | shuf > "$WORK/$name.all"
  local per=$((POPULATION_WARM + POPULATION))
  split -d -a 1 -l "$per" --numeric-suffixes=1 "$WORK/$name.all" "$WORK/$name.r"
  for r in $(seq 1 "$ROUNDS"); do
    head -n "$POPULATION_WARM" "$WORK/$name.r$r" > "$WORK/$name.w$r"
    tail -n +"$((POPULATION_WARM + 1))" "$WORK/$name.r$r" > "$WORK/$name.m$r"
  done
}
POP_T0=$(date +%s)
for n in $COLD_SERVERS; do
  has refresh-cold && grow_chains "$n" cold-history "$COLD_HISTORY"
  has refresh-cold-fresh && grow_chains "$n" cold-fresh 0
  has introspect-population && collect_tokens "$n" pop-jwt bench-es256 "$((ROUNDS * (POPULATION + POPULATION_WARM) + 1000))"
  has introspect-population-opaque && collect_tokens "$n" pop-opaque bench-opaque "$((ROUNDS * (POPULATION + POPULATION_WARM) + 1000))"
done
POP_SECS=$(( $(date +%s) - POP_T0 ))

# restart_cold SERVER: a fresh JVM (and embedded PostgreSQL) on a cold server's data: nothing in memory
restart_cold() {
  stop_server "$1"
  start_server "$1"
  wait_ready "$1"
}

# run_cold WORKLOAD TAG SERVER: restart, warm the JIT on other grants or tokens, then every grant or
# token of the round's population once (once.lua)
run_cold() {
  local w=$1 tag=$2 r=${2#r} srv=$3 lines mode auth base=http://127.0.0.1:${SRV_PORT[$3]}
  restart_cold "$srv"
  case $w in
    refresh-cold|refresh-cold-fresh)
      run_hot "$srv" refresh 64 "$COLD_WARMUP" warmup
      mode=refresh; auth=$(basic "$srv" bench-web)
      local pop=$srv-cold-fresh
      [ "$w" = refresh-cold ] && pop=$srv-cold-history
      # Then other grants of the same kind, each refreshed once: the JIT warm on the cold path too.
      BENCH_MODE=refresh BENCH_AUTH="$auth" BENCH_LINES="$WORK/$pop.w$r" \
        wrk -t"$THREADS" -c64 -d600s --timeout 60s -s ops/bench/lua/once.lua "$base/token" > "$RAW/$w$(suffix "$srv")-c64-$tag-warmup.txt" 2>&1
      lines=$WORK/$pop.m$r ;;
    introspect-population|introspect-population-opaque)
      local pop=$srv-pop-jwt cid=bench-es256
      [ "$w" = introspect-population-opaque ] && { pop=$srv-pop-opaque; cid=bench-opaque; }
      mode=introspect; auth=$(basic "$srv" "$cid")
      BENCH_MODE=introspect BENCH_AUTH="$auth" BENCH_LINES="$WORK/$pop.w$r" \
        wrk -t"$THREADS" -c64 -d600s --timeout 60s -s ops/bench/lua/once.lua "$base/introspect" > "$RAW/$w$(suffix "$srv")-c64-$tag-warmup.txt" 2>&1
      lines=$WORK/$pop.m$r ;;
  esac
  local file="$RAW/$w$(suffix "$srv")-c64-$tag.txt" cpu0 db0 t0
  pgstat_reset "$srv"
  cpu0=$(cpu_of $(pids_of "$srv")); db0=$(cpu_of $(pg_pids_of "$srv")); t0=$(date +%s%N)
  BENCH_MODE=$mode BENCH_AUTH="$auth" BENCH_LINES="$lines" \
    wrk -t"$THREADS" -c64 -d600s --timeout 60s --latency -s ops/bench/lua/once.lua "$base/token" > "$file" 2>&1
  record "$srv" "$w$(suffix "$srv")" 64 "$tag" "$file" "$cpu0" "$db0" "$t0" "{\"population\": $(wc -l < "$lines")}"
  pgstat_write "$srv" "$RAW/pgstat-$w$(suffix "$srv")-$tag.txt" "$(tail -1 "$RAW/results.jsonl" | python3 -c 'import json,sys;print(json.load(sys.stdin)["ops"])')"
}

# PGSTAT=1: what the cold server's PostgreSQL did over a measured round, per unit of work
pg_psql() { # server SQL
  psql -h 127.0.0.1 -p "$(sed -n 4p "${SRV_DATA[$1]}/postgres/postmaster.pid")" -U postgres -d postgres -XAtq -c "$2"
}
pgstat_reset() { # server
  [ "${PGSTAT:-0}" = 1 ] || return 0
  pg_psql "$1" "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
  pg_psql "$1" "SELECT pg_stat_statements_reset()" >/dev/null
}
pgstat_write() { # server file units
  [ "${PGSTAT:-0}" = 1 ] && [ "${3:-0}" -gt 0 ] || return 0
  local n=$3 only="query !~ '(pg_stat_statements|postmaster|pg_catalog)'"
  {
    echo "# pg_stat_statements over one measured round: $n units; per unit (calls rows exec_us blks_hit+read blks_read | statement)"
    pg_psql "$1" "SELECT round(calls::numeric / $n, 3) || ' ' || round(rows::numeric / $n, 3) || ' ' || round((total_exec_time * 1000 / $n)::numeric, 1) || ' ' || round((shared_blks_hit + shared_blks_read)::numeric / $n, 2) || ' ' || round(shared_blks_read::numeric / $n, 2) || ' | ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 140) FROM pg_stat_statements WHERE calls > 0 AND $only ORDER BY total_exec_time DESC LIMIT 30"
    pg_psql "$1" "SELECT 'all: ' || round(sum(calls)::numeric / $n, 2) || ' statements, ' || round((sum(total_exec_time) * 1000 / $n)::numeric, 1) || ' us executing, ' || round(sum(shared_blks_hit + shared_blks_read)::numeric / $n, 1) || ' shared buffers (' || round(sum(shared_blks_read)::numeric / $n, 1) || ' read) per unit' FROM pg_stat_statements WHERE $only"
  } > "$2" 2>&1 || true
}

# run_fresh_start TAG SERVER: starts a cold server and runs cc-es256 in FRESH_WINDOW-second windows
# from the moment it is ready, FRESH_SECS in all; one result per window (window = its index from 1)
run_fresh_start() {
  local tag=$1 srv=$2 k
  stop_server "$srv"
  local started
  started=$(date +%s%N)
  start_server "$srv"
  wait_ready "$srv"
  local ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
  # The first token: one request, timed from the start of the process, before the load begins.
  curl -sf -o /dev/null -H "Authorization: $(basic "$srv" bench-es256)" \
    -d 'grant_type=client_credentials&scope=api' "http://127.0.0.1:${SRV_PORT[$srv]}/token" || true
  local first_ms=$(( ($(date +%s%N) - started) / 1000000 ))
  for k in $(seq 1 $((FRESH_SECS / FRESH_WINDOW))); do
    run_hot "$srv" cc-fresh-start 64 "$FRESH_WINDOW" "$tag-w$k" "{\"window\": $k, \"window_secs\": $FRESH_WINDOW, \"ready_ms\": $ready_ms, \"first_ms\": $first_ms}"
  done
}

# ---- warm-ups and rounds
for w in $WORKLOADS; do
  case $w in refresh-cold*|introspect-population*|cc-fresh-start) continue ;; esac
  echo "warm-up: $w (${WARMUP}s)" >&2
  run_hot hot "$w" 64 "$WARMUP" warmup
done
for w in $REFERENCE; do
  echo "warm-up: $w (${WARMUP}s)" >&2
  run_hot ref "$w" 64 "$WARMUP" warmup
done
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r" >&2
  for w in $WORKLOADS $REFERENCE; do
    case $w in
      refresh-cold*|introspect-population*) for n in $(cold_order "$r"); do run_cold "$w" "r$r" "$n"; done ;;
      cc-fresh-start) for n in $(cold_order "$r"); do run_fresh_start "r$r" "$n"; done ;;
      ref-*) for c in $CONNECTIONS; do run_hot ref "$w" "$c" "$SECS" "r$r"; done ;;
      *) for c in $CONNECTIONS; do run_hot hot "$w" "$c" "$SECS" "r$r"; done ;;
    esac
  done
done

# ---- where the hot server's memory is at the end: RSS by kind, threads, the JVM's own account
# (when Native Memory Tracking is on) and the memory map's anonymous regions by size
{
  grep -E '^(VmRSS|RssAnon|RssFile|RssShmem|Threads)' "/proc/${SRV_PID[hot]}/status"
  echo "SERVER_JAVA_OPTS: ${SERVER_JAVA_OPTS:-}; MALLOC_ARENA_MAX: ${MALLOC_ARENA_MAX:-unset}"
  jcmd "${SRV_PID[hot]}" VM.native_memory summary 2>/dev/null | grep -E '^(Total|-|  *\(malloc|  *\(mmap)' || true
  echo "anonymous mappings, largest RSS first (KB: size rss):"
  pmap -x "${SRV_PID[hot]}" 2>/dev/null | awk '/anon/ {print $2, $3}' | sort -k2 -nr | head -25 || true
} > "$RAW/memory.txt" 2>&1

{
  echo "- load at the end: \`$(uptime)\`"
  has refresh-cold && echo "- refresh-cold population: ${ROUNDS}×(${COLD_WARM_GRANTS} warm-up + ${COLD_GRANTS}) grants × ${COLD_HISTORY} rotations (refresh-cold-fresh: as many without rotation)"
  has introspect-population && echo "- introspect-population: ${ROUNDS}×(${POPULATION_WARM} warm-up + ${POPULATION}) tokens (the opaque one as many)"
  has_cold && echo "- the populations were made in ${POP_SECS} s before the rounds, on the cold server"
} >> "$RAW/machine.md"
REPORTED=$WORKLOADS
if [ -n "$AB" ]; then
  for w in $WORKLOADS; do
    case $w in refresh-cold*|introspect-population*|cc-fresh-start) REPORTED="$REPORTED $w@B" ;; esac
  done
fi
python3 ops/bench/report.py "$RAW" "$0 $ROUNDS $SECS" "$REPORTED" "$REFERENCE" "$CONNECTIONS" "$ES_RATE" "$RS_RATE" "$(nproc)" > "$OUT/README.md"
cat "$OUT/README.md"
