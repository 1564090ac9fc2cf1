#!/usr/bin/env bash
# Issue 8, "cost does not grow with history": client_credentials ES256 tokens/s (client_secret_basic,
# wrk, 64 connections) on a server whose ledger already holds a big history, against the same
# server on an empty ledger. The two conditions alternate round by round (history, empty, history,
# ...), each round on a freshly started server, so a drift of the machine hits both alike; prints
# the medians and their ratio and writes ops/bench/results/history.md.
# Usage: ops/bench/history.sh HISTORY_DATA_DIR [rounds=3] [seconds=20]
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
bench_build
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
    java $(cat ops/bench/jvm.opts 2>/dev/null || echo -Xmx512m) -jar modules/cli/target/grantry.jar > "$OUT/server.out" 2> "$OUT/server.err" &
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
round() { # name data dir -> tokens/s p99
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
  local f="$OUT/$1-$(date +%s).txt"
  wrk -t2 -c"$CONN" -d"${SECS}s" --latency -s "$LUA" "http://127.0.0.1:$PORT/token" > "$f"
  stop
  grep '^RESULT' "$f" | awk '{print $4, $5, $3}'
}

HIST_EVENTS=$(GRANTRY_DATA_DIR=$HIST java -jar modules/cli/target/grantry.jar events tail -n 1 --json 2>/dev/null \
  | python3 -c "import json,sys;print(json.loads(sys.stdin.readline())['position'])" 2>/dev/null || echo "?")
bench_init_data_dir "$EMPTY"
H=(); E=(); HP=(); EP=(); ERRS=0
for r in $(seq 1 "$ROUNDS"); do
  read -r rate p99 errs <<<"$(round history "$HIST")"; H+=("$rate"); HP+=("$p99"); ERRS=$((ERRS + errs))
  read -r rate p99 errs <<<"$(round empty "$EMPTY")"; E+=("$rate"); EP+=("$p99"); ERRS=$((ERRS + errs))
  echo "round $r: history ${H[-1]} tokens/s (p99 ${HP[-1]} ms), empty ${E[-1]} tokens/s (p99 ${EP[-1]} ms)" >&2
done
MH=$(bench_median "${H[@]}"); ME=$(bench_median "${E[@]}")
RATIO=$(python3 -c "print(f'{$MH / $ME:.3f}')")
RESULT=ops/bench/results/history.md
{
  echo "# Cost does not grow with history"
  echo
  echo "\`ops/bench/history.sh $HIST $ROUNDS $SECS\`, $(date -u +%Y-%m-%dT%H:%MZ); machine: $(bench_machine);"
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "client_credentials, ES256 JWT, client_secret_basic, wrk -t2 -c$CONN, ${SECS} s after a 5 s warm-up, a fresh"
  echo "server for every round, history and empty ledger alternating."
  echo
  echo "| ledger | events before | tokens/s (median) | rounds | p99 ms (median) |"
  echo "|---|---|---|---|---|"
  echo "| history | $HIST_EVENTS | $MH | ${H[*]} | $(bench_median "${HP[@]}") |"
  echo "| empty | ~10 | $ME | ${E[*]} | $(bench_median "${EP[@]}") |"
  echo
  echo "history / empty = **$RATIO** (goal: at least 0.90). Errors: $ERRS."
} | tee "$RESULT"
