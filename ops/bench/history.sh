#!/usr/bin/env bash
# Issue 8, "cost does not grow with history": client_credentials ES256 tokens/s (client_secret_basic,
# wrk, 64 connections) on a server whose ledger already holds a big history, against the same
# server on an empty ledger. The two conditions alternate round by round (history, empty, history,
# ...), each round on a freshly started server, so a drift of the machine hits both alike; prints
# the medians and their ratio, and the CPU time per token of the server's JVM and of its PostgreSQL
# (user + system ticks of the processes during the measured window, over the tokens), and adds them
# at the top of ops/bench/results/history.md (earlier runs stay below).
# Usage: ops/bench/history.sh HISTORY_DATA_DIR [rounds=3] [seconds=20]
#   JAR: the server's jar (default modules/cli/target/grantry.jar, built when missing).
#   Before the rounds the server starts once on the history ledger and runs until its first signed
#   tree head and (with psql) until every complete tile's leaf hashes are stored, then stops: a
#   ledger of ledger.sh has checkpoints but no Merkle tree yet, and the server's first start builds
#   it from the first event (a one-time cost: ~95 s at 20M events) which would otherwise land in the
#   first round; and until every asynchronous projection (projection_checkpoints) has applied the
#   ledger's last event. Timed and reported. PRIME=0 skips it. Then, priming or not, the
#   asynchronous projections' lag is read (`grantry projections status`) and reported; the script
#   stops when one is more than 1,000 events behind (LAG_OK=1 goes on).
#   HISTORY_DATA_DIR: made by ops/bench/ledger.sh N DIR (e.g. N=20000000). It is used as it is: the
#   tokens issued by the benchmark are appended to it. The empty ledger is a fresh temporary
#   directory, deleted afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
HIST=${1:?usage: history.sh HISTORY_DATA_DIR [rounds] [seconds]}
ROUNDS=${2:-3}
SECS=${3:-20}
PORT=${GRANTRY_BENCH_PORT:-18481}
CONN=${CONNECTIONS:-64}
. ops/bench/bench-lib.sh
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
JAR=${JAR:-modules/cli/target/grantry.jar}
[ "$JAR" = modules/cli/target/grantry.jar ] && bench_build
TICKS=$(getconf CLK_TCK)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
EMPTY=$(mktemp -d /tmp/grantry-history-empty.XXXXXX)
chmod 755 "$EMPTY"
OUT=ops/bench/results/raw/history
mkdir -p "$OUT"
LUA=$(mktemp /tmp/grantry-history.XXXXXX.lua)
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$EMPTY" "$LUA"
}
trap cleanup EXIT

start() { # data dir
  GRANTRY_HTTP_PORT=$PORT GRANTRY_DATA_DIR=$1 GRANTRY_LOG_LEVEL=WARN \
    java $(cat ops/bench/jvm.opts 2>/dev/null || echo -Xmx512m) -jar "$JAR" > "$OUT/server.out" 2> "$OUT/server.err" &
  SERVER=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/server.err" >&2; return 1; }
    sleep 0.5
  done
  return 1
}
stop() {
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
}
client() { # data dir -> "id:secret" of a client_credentials ES256 client (registered once per directory)
  if [ ! -f "$1/history-bench-client" ]; then
    local token id secret
    token=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['admin_token'])" "$1/secrets.json")
    id=bench-history-$(date +%s%N)
    secret=$(curl -sf -X POST "http://127.0.0.1:$PORT/admin/clients" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"client_id\":\"$id\",\"client_name\":\"bench\",\"token_endpoint_auth_method\":\"client_secret_basic\",\"grant_types\":[\"client_credentials\"],\"scope\":\"api\",\"access_token_signing_alg\":\"ES256\"}" \
      | python3 -c "import json,sys;print(json.load(sys.stdin)['client_secret'])")
    echo "$id:$secret" > "$1/history-bench-client"
  fi
  cat "$1/history-bench-client"
}
ticks() { # pids -> their CPU clock ticks so far (user + system)
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
pg_pids() { # data dir: its PostgreSQL's postmaster and children
  local pm
  pm=$(head -1 "$1/postgres/postmaster.pid")
  echo "$pm" $(pgrep -P "$pm" || true)
}
round() { # name data dir -> tokens/s p99 errors server-us-per-token pg-us-per-token
  start "$2"
  local basic
  basic=$(printf '%s' "$(client "$2")" | base64 -w0)
  cat > "$LUA" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=api"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.2f %.2f\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000))
end
LUA
  wrk -t2 -c"$CONN" -d5s -s "$LUA" "http://127.0.0.1:$PORT/token" > /dev/null   # warm-up
  local f="$OUT/$1-$(date +%s).txt" j0 g0 j1 g1
  j0=$(ticks "$SERVER"); g0=$(ticks $(pg_pids "$2"))
  wrk -t2 -c"$CONN" -d"${SECS}s" --latency -s "$LUA" "http://127.0.0.1:$PORT/token" > "$f"
  j1=$(ticks "$SERVER"); g1=$(ticks $(pg_pids "$2"))
  stop
  grep '^RESULT' "$f" | awk -v j=$((j1 - j0)) -v g=$((g1 - g0)) -v t="$TICKS" \
    '{printf "%s %s %s %.1f %.1f\n", $4, $5, $3, j * 1e6 / t / $2, g * 1e6 / t / $2}'
}

HIST_EVENTS=$(GRANTRY_DATA_DIR=$HIST java -jar "$JAR" events tail -n 1 --json 2>/dev/null \
  | python3 -c "import json,sys;print(json.loads(sys.stdin.readline())['position'])" 2>/dev/null || echo "?")
PRIMED="not primed (PRIME=0)"
if [ "${PRIME:-1}" = 1 ]; then
  p0=$(date +%s.%N)
  start "$HIST"
  until curl -sf "http://127.0.0.1:$PORT/ledger/checkpoint" > /dev/null; do
    kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/server.err" >&2; exit 1; }
    sleep 1
  done
  p1=$(date +%s.%N)
  if command -v psql >/dev/null; then
    PGPASSWORD=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['postgres_password'])" "$HIST/secrets.json")
    export PGPASSWORD
    PSQL="psql -h 127.0.0.1 -p $(sed -n 4p "$HIST/postgres/postmaster.pid") -U postgres -d postgres -XAtq"
    if [ "$($PSQL -c "SELECT to_regclass('ledger_tree_tile_leaves') IS NOT NULL")" = t ]; then
      until [ "$($PSQL -c "SELECT (SELECT count(*) FROM ledger_tree_tile_leaves)
          >= (SELECT max(tree_size) / 256 FROM ledger_tree_heads)")" = t ]; do
        kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/server.err" >&2; exit 1; }
        sleep 1
      done
    fi
  fi
  p2=$(date +%s.%N)
  if [ -n "${PSQL:-}" ]; then
    # Every asynchronous projection at the ledger's end (ledger.sh leaves them there; a ledger made
    # before it did is caught up here, by the server, and the time it took is reported).
    until [ "$($PSQL -c "SELECT NOT EXISTS (SELECT 1 FROM projection_checkpoints c
        WHERE EXISTS (SELECT 1 FROM events e WHERE (e.txid, e.position) > (c.txid, c.position)))")" = t ]; do
      kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/server.err" >&2; exit 1; }
      sleep 1
    done
  fi
  p3=$(date +%s.%N)
  stop
  PRIMED=$(python3 -c "print(f'primed: first signed tree head {$p1 - $p0:.1f} s after the start, every tile stored {$p2 - $p1:.1f} s later, every asynchronous projection at the end {$p3 - $p2:.1f} s later')")
  echo "$PRIMED" >&2
fi
# Before the rounds: no asynchronous projection may have a backlog on the history ledger (a server
# that has run on its ledger has none; one started on a ledger whose projections were left behind
# would spend the rounds replaying it). A few events (appended by the priming server as it stopped)
# are no backlog. LAG_OK=1 measures anyway.
LAGS=$(GRANTRY_DATA_DIR=$HIST java -jar "$JAR" projections status --json 2>/dev/null | python3 -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.startswith('{')]
print(', '.join(f\"{r['name']} {r['lag_events']}\" for r in rows if r['mode'] == 'async') or 'none')")
echo "asynchronous projections' lag (events) before the rounds: $LAGS" >&2
if [ "${LAG_OK:-0}" != 1 ] && printf '%s\n' "$LAGS" | tr ',' '\n' | awk '$2 > 1000 {bad = 1} END {exit !bad}'; then
  echo "an asynchronous projection is behind the history ledger ($LAGS): make the ledger with ops/bench/ledger.sh, or LAG_OK=1" >&2
  exit 3
fi
bench_init_data_dir "$EMPTY"
H=(); E=(); HP=(); EP=(); HJ=(); HG=(); EJ=(); EG=(); ERRS=0
for r in $(seq 1 "$ROUNDS"); do
  read -r rate p99 errs j g <<<"$(round history "$HIST")"; H+=("$rate"); HP+=("$p99"); HJ+=("$j"); HG+=("$g"); ERRS=$((ERRS + errs))
  read -r rate p99 errs j g <<<"$(round empty "$EMPTY")"; E+=("$rate"); EP+=("$p99"); EJ+=("$j"); EG+=("$g"); ERRS=$((ERRS + errs))
  echo "round $r: history ${H[-1]} tokens/s (p99 ${HP[-1]} ms, CPU us/token server ${HJ[-1]} PostgreSQL ${HG[-1]}), empty ${E[-1]} tokens/s (p99 ${EP[-1]} ms, CPU us/token server ${EJ[-1]} PostgreSQL ${EG[-1]})" >&2
done
MH=$(bench_median "${H[@]}"); ME=$(bench_median "${E[@]}")
RATIO=$(python3 -c "print(f'{$MH / $ME:.3f}')")
RESULT=ops/bench/results/history.md
SECTION=$(mktemp /tmp/grantry-history.XXXXXX.md)
{
  echo "# Cost does not grow with history"
  echo
  echo "\`ops/bench/history.sh $HIST $ROUNDS $SECS\`, $(date -u +%Y-%m-%dT%H:%MZ); jar: $JAR; machine: $(bench_machine);"
  echo "load average at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "client_credentials, ES256 JWT, client_secret_basic, wrk -t2 -c$CONN, ${SECS} s after a 5 s warm-up, a fresh"
  echo "server for every round, history and empty ledger alternating. CPU: user + system time of the server's"
  echo "JVM and of its PostgreSQL's processes during the measured ${SECS} s, per token. History ledger $PRIMED;"
  echo "asynchronous projections' lag (events) before the rounds: $LAGS."
  echo
  echo "| ledger | events before | tokens/s (median) | rounds | p99 ms (median) | server CPU µs/token (median; rounds) | PostgreSQL CPU µs/token (median; rounds) |"
  echo "|---|---|---|---|---|---|---|"
  echo "| history | $HIST_EVENTS | $MH | ${H[*]} | $(bench_median "${HP[@]}") | $(bench_median "${HJ[@]}"); ${HJ[*]} | $(bench_median "${HG[@]}"); ${HG[*]} |"
  echo "| empty | ~10 | $ME | ${E[*]} | $(bench_median "${EP[@]}") | $(bench_median "${EJ[@]}"); ${EJ[*]} | $(bench_median "${EG[@]}"); ${EG[*]} |"
  echo
  echo "history / empty = **$RATIO** (goal: at least 0.90). Errors: $ERRS."
} | tee "$SECTION"
{ cat "$SECTION"; echo; cat "$RESULT" 2>/dev/null || true; } > "$RESULT.new" && mv "$RESULT.new" "$RESULT"
rm -f "$SECTION"
