#!/usr/bin/env bash
# Token endpoint (and introspection) throughput with wrk (Debian package): client_credentials with client_secret_basic,
# every token's event committed before its response. Starts Grantry on an embedded database in a
# fresh temporary data directory, registers a client through the admin API, runs wrk at 16 and 64
# connections for each round, and prints a Markdown table of medians.
# Usage: ops/bench/tokens.sh [seconds=20] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-20}
ROUNDS=${2:-3}
PORT=${GRANTRY_BENCH_PORT:-18181}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
[ -f modules/cli/target/grantry.jar ] || mvn -B -q -DskipTests package
DATA=$(mktemp -d /tmp/grantry-bench.XXXXXX)
chmod 755 "$DATA"
OUT=ops/bench/results/raw
mkdir -p "$OUT"
GRANTRY_HTTP_PORT=$PORT GRANTRY_DATA_DIR=$DATA GRANTRY_LOG_LEVEL=WARN \
  java -Xms256m -Xmx512m -jar modules/cli/target/grantry.jar > "$OUT/server.out" 2> "$OUT/server.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for i in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
TOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['admin_token'])" "$DATA/secrets.json")
create() { # id alg format
  curl -sf -X POST "http://127.0.0.1:$PORT/admin/clients" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"client_id\":\"$1\",\"client_name\":\"bench\",\"token_endpoint_auth_method\":\"client_secret_basic\",\"grant_types\":[\"client_credentials\"],\"scope\":\"api\",\"access_token_signing_alg\":\"$2\",\"access_token_format\":\"$3\"}" \
    | python3 -c "import json,sys;print(json.load(sys.stdin)['client_secret'])"
}
LUA=$(mktemp /tmp/grantry-wrk.XXXXXX.lua)
run() { # name client secret connections [path] [body]
  local basic
  basic=$(printf '%s:%s' "$2" "$3" | base64 -w0)
  cat > "$LUA" <<LUA
wrk.method = "POST"
wrk.body = "${6:-grant_type=client_credentials&scope=api}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.2f %.2f %.2f\n", summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6)))
end
LUA
  wrk -t2 -c"$4" -d"${SECONDS_PER_RUN}s" --latency -s "$LUA" "http://127.0.0.1:$PORT${5:-/token}" > "$OUT/$1-c$4-$(date +%s).txt"
  grep '^RESULT' "$OUT"/$1-c$4-*.txt | tail -1
}
ES=$(create bench-es256 ES256 jwt)
RS=$(create bench-rs256 RS256 jwt)
echo "| workload | connections | tokens/s (median) | rounds | p50 ms | p99 ms | errors | server RSS MB |"
echo "|---|---|---|---|---|---|---|---|"
# A JWT to introspect (the client introspects its own token).
AT=$(curl -sf -u "bench-es256:$ES" "http://127.0.0.1:$PORT/token" -d grant_type=client_credentials -d scope=api \
  | python3 -c "import json,sys;print(json.load(sys.stdin)['access_token'])")
for spec in "client_credentials-ES256:bench-es256:$ES:/token:" "client_credentials-RS256:bench-rs256:$RS:/token:" \
    "introspect-JWT:bench-es256:$ES:/introspect:token=$AT"; do
  IFS=: read -r name client secret path body <<<"$spec"
  run "$name" "$client" "$secret" 16 "${path:-/token}" "$body" >/dev/null   # warm-up
  for c in 16 64; do
    rates=(); p50s=(); p99s=(); errs=0
    for r in $(seq 1 "$ROUNDS"); do
      read -r _ n e p50 p99 rate <<<"$(run "$name" "$client" "$secret" "$c" "${path:-/token}" "$body")"
      rates+=("$rate"); p50s+=("$p50"); p99s+=("$p99"); errs=$((errs + e))
    done
    med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    rss=$(ps -o rss= -p $SERVER | awk '{printf "%d", $1/1024}')
    echo "| $name | $c | $(med "${rates[@]}") | $(printf '%s ' "${rates[@]}") | $(med "${p50s[@]}") | $(med "${p99s[@]}") | $errs | $rss |"
  done
done
rm -f "$LUA"
