# Shared by ab.sh, profile.sh, soak.sh and pgwork.sh: start Grantry on a fresh embedded database,
# wait for it, register a benchmark client and write a wrk script for a workload. Source it, then
# call bench_workdir NAME first.

# bench_workdir NAME: a scratch directory WORK and an array PIDS; at exit the processes in PIDS are
# stopped and WORK is removed.
bench_workdir() {
  WORK=$(mktemp -d "/tmp/grantry-$1.XXXXXX")
  chmod 755 "$WORK"
  PIDS=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}

# bench_start SIDE JAR PORT "JAVA OPTS" "ENV=... ENV=..."
bench_start() {
  local dir="$WORK/$1"
  mkdir -p "$dir/data" && chmod 755 "$dir" "$dir/data"
  # shellcheck disable=SC2086
  env GRANTRY_HTTP_PORT="$3" GRANTRY_DATA_DIR="$dir/data" GRANTRY_LOG_LEVEL=WARN $5 \
    java $4 -jar "$2" > "$dir/server.out" 2> "$dir/server.err" &
  PIDS+=($!)
  echo $! > "$dir/pid"
  echo "$3" > "$dir/port"
}

# bench_ready SIDE: waits until /health/ready answers.
bench_ready() {
  local dir="$WORK/$1" port
  port=$(cat "$dir/port")
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "server $1 on $port did not start: $(tail -5 "$dir/server.err")" >&2
  return 1
}

# bench_client SIDE ID ALG GRANTS-JSON-ARRAY [extra JSON members] -> prints the client secret
bench_client() {
  local dir="$WORK/$1" port token
  port=$(cat "$dir/port")
  token=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['admin_token'])" "$dir/data/secrets.json")
  curl -sf -X POST "http://127.0.0.1:$port/admin/clients" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d "{\"client_id\":\"$2\",\"client_name\":\"bench\",\"token_endpoint_auth_method\":\"client_secret_basic\",\"grant_types\":$4,\"scope\":\"api\",\"access_token_signing_alg\":\"$3\"${5:-}}" \
    | python3 -c "import json,sys;print(json.load(sys.stdin)['client_secret'])"
}

# bench_seed SIDE WORKLOAD: registers a client (BENCH_CLIENT_ID, default bench) and writes
# $WORK/SIDE/{wrk.lua,url} for the workload
# (cc-es256, cc-rs256, cc-opaque: client_credentials; introspect (or introspect-jwt): one ES256
# JWT introspected by its client; introspect-opaque: one opaque access token likewise).
bench_seed() {
  local dir="$WORK/$1" workload=$2 port alg=ES256 secret body path=/token extra="" cid=${BENCH_CLIENT_ID:-bench}
  port=$(cat "$dir/port")
  [ "$workload" = cc-rs256 ] && alg=RS256
  case "$workload" in cc-opaque|introspect-opaque) extra=',"access_token_format":"opaque"' ;; esac
  secret=$(bench_client "$1" "$cid" "$alg" '["client_credentials"]' "$extra")
  body="grant_type=client_credentials&scope=api"
  if [ "${workload#introspect}" != "$workload" ]; then
    body="token=$(curl -sf -u "$cid:$secret" "http://127.0.0.1:$port/token" -d grant_type=client_credentials -d scope=api \
      | python3 -c "import json,sys;print(json.load(sys.stdin)['access_token'])")"
    path=/introspect
  fi
  cat > "$dir/wrk.lua" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $(printf '%s:%s' "$cid" "$secret" | base64 -w0)"
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.0f %d %.2f %.2f\n", summary.requests / (summary.duration / 1e6), errors,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
  echo "http://127.0.0.1:$port$path" > "$dir/url"
}

# bench_seed_browser SIDE WORKLOAD CONNECTIONS: the workloads of ops/bench/run.sh that need a user,
# consent and chains (refresh, flow): seeds them with seed.py (setup once per side; refresh: 2 fresh
# chains per connection, again before every round, as run.sh does) and writes $WORK/SIDE/{wrk.lua,
# wrk.env,url,workload}. Their wrk output is report.lua's; bench_round reports units of work.
bench_seed_browser() {
  local dir="$WORK/$1" base token
  base="http://127.0.0.1:$(cat "$dir/port")"
  if [ ! -f "$dir/seed.json" ]; then
    token=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['admin_token'])" "$dir/data/secrets.json")
    python3 ops/bench/seed.py setup "$base" "$token" "$dir/seed.json"
  fi
  # Not named q: a function is global in bash, and the scripts that source this file have their own q.
  bench_seed_q() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(eval(sys.argv[2], {}, d))" "$dir/seed.json" "$1"; }
  local auth
  auth="Basic $(printf 'bench-web:%s' "$(bench_seed_q "clients['bench-web']")" | base64 -w0)"
  {
    printf 'BENCH_LUA_DIR=%q\nBENCH_THREADS=2\nBENCH_AUTH=%q\n' "$PWD/ops/bench/lua" "$auth"
    case "$2" in
      refresh) printf 'BENCH_CHAINS=%q\n' "$dir/chains.txt" ;;
      flow) printf 'BENCH_COOKIE=%q\nBENCH_QUERY=%q\nBENCH_VERIFIER=%q\nBENCH_REDIRECT=%q\n' "$(bench_seed_q cookie)" \
        "$(bench_seed_q "flow['query']")" "$(bench_seed_q "flow['verifier']")" "$(bench_seed_q "flow['redirect_uri']")" ;;
      *) echo "bench_seed_browser: unknown workload $2" >&2; return 2 ;;
    esac
  } > "$dir/wrk.env"
  [ "$2" = refresh ] && python3 ops/bench/seed.py chains "$base" "$dir/seed.json" "$(($3 * 2))" "$dir/chains.txt"
  cp "ops/bench/lua/$2.lua" "$dir/wrk.lua"
  echo "$2" > "$dir/workload"
  echo "$base/token" > "$dir/url"
}

# bench_seed_population SIDE WORKLOAD TOKENS: introspect-population (ES256 JWTs) or
# introspect-population-opaque: registers a client, issues TOKENS access tokens to it
# (lua/collect.lua), and sets SIDE up for lua/once.lua: each round (bench_round) introspects the next
# POP_CHUNK (100000) of them once each, tokens nobody introspected before. Not after a restart, as
# run.sh's cold rounds are: the JIT and PostgreSQL's buffers are as warm as the issuing left them.
# With POP_FRESH=1 the TOKENS are a backlog nobody introspects, and each round (and the warm-up)
# introspects POP_CHUNK tokens issued just before it: the newest, as real traffic mostly asks about.
bench_seed_population() {
  local dir="$WORK/$1" port extra="" secret auth
  port=$(cat "$dir/port")
  [ "$2" = introspect-population-opaque ] && extra=',"access_token_format":"opaque"'
  secret=$(bench_client "$1" bench ES256 '["client_credentials"]' "$extra")
  auth="Basic $(printf 'bench:%s' "$secret" | base64 -w0)"
  echo "$auth" > "$dir/pop.auth"
  bench_collect "$1" "$3" "$dir/pop.all"
  echo 0 > "$dir/pop.next"
  printf 'BENCH_LUA_DIR=%q\nBENCH_THREADS=2\nBENCH_AUTH=%q\nBENCH_MODE=introspect\nBENCH_LINES=%q\n' \
    "$PWD/ops/bench/lua" "$auth" "$dir/pop.lines" > "$dir/wrk.env"
  cp ops/bench/lua/once.lua "$dir/wrk.lua"
  echo population > "$dir/workload"
  echo "http://127.0.0.1:$port" > "$dir/url"
}

# bench_collect SIDE TOKENS FILE: issues TOKENS access tokens to SIDE's population client, shuffled
# into FILE.
bench_collect() {
  local dir="$WORK/$1" port pid
  port=$(cat "$dir/port")
  rm -f "$dir/pop.tok".*
  BENCH_LUA_DIR=$PWD/ops/bench/lua BENCH_AUTH="$(cat "$dir/pop.auth")" BENCH_BODY="grant_type=client_credentials&scope=api" \
    BENCH_COUNT=$(($2 / 2 + 1)) BENCH_OUT="$dir/pop.tok" \
    wrk -t2 -c64 -d1200s --timeout 60s -s ops/bench/lua/collect.lua "http://127.0.0.1:$port/token" > "$dir/collect.out" 2>&1 &
  pid=$!
  while [ "$(cat "$dir/pop.tok".* 2>/dev/null | wc -l)" -lt "$2" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  cat "$dir/pop.tok".* | shuf > "$3"
  rm -f "$dir/pop.tok".*
}

# bench_next_lines SIDE: a population's next POP_CHUNK tokens in SIDE/pop.lines (the next round's);
# with POP_FRESH=1, POP_CHUNK tokens issued now.
bench_next_lines() {
  local dir="$WORK/$1" next chunk=${POP_CHUNK:-100000}
  if [ "${POP_FRESH:-0}" = 1 ]; then
    bench_collect "$1" "$chunk" "$dir/pop.lines"
    return 0
  fi
  next=$(cat "$dir/pop.next")
  tail -n +"$((next + 1))" "$dir/pop.all" | head -n "$chunk" > "$dir/pop.lines"
  echo $((next + chunk)) > "$dir/pop.next"
  [ -s "$dir/pop.lines" ] || { echo "the population of $1 is used up: more tokens (POPULATION)" >&2; return 1; }
}

# CPU ticks (user + system, 1/CLK_TCK s) used so far by these processes.
bench_ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $t; }

# The embedded PostgreSQL's superuser password of SIDE (it requires one of every connection): for
# PGPASSWORD of psql.
bench_pg_password() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["postgres_password"])' "$WORK/$1/data/secrets.json"
}

# The embedded PostgreSQL of SIDE: the postmaster and its children.
bench_pg_pids() {
  local pm
  pm=$(head -1 "$WORK/$1/data/postgres/postmaster.pid")
  echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"
}

# bench_round SIDE SECONDS CONNECTIONS -> "rate errors p50 p99 jvm-us-per-request pg-us-per-request"
# The CPU time per request (server JVM, its PostgreSQL) is what a change saves; on a machine shared
# with other work it moves much less than the request rate does.
bench_round() {
  local dir="$WORK/$1" pg j0 g0 j1 g1 res n
  pg=$(bench_pg_pids "$1")
  # Refresh chains end with the round (the answers in flight are lost): fresh ones for each round.
  [ "$(cat "$dir/workload" 2>/dev/null)" = refresh ] && bench_seed_browser "$1" refresh "$3"
  # A population's round: tokens none of the earlier rounds introspected.
  if [ "$(cat "$dir/workload" 2>/dev/null)" = population ]; then bench_next_lines "$1" || return 1; fi
  # shellcheck disable=SC2086
  j0=$(bench_ticks "$(cat "$dir/pid")"); g0=$(bench_ticks $pg)
  if [ -f "$dir/wrk.env" ]; then
    # report.lua's RESULT (requests errors p50 p99 req/s ops ops/s) as "ops/s errors p50 p99 ops":
    # units of work (their count: a population's round may end before its seconds)
    res=$(set -a; . "$dir/wrk.env"; wrk -t2 -c"$3" -d"${2}s" --latency -s "$dir/wrk.lua" "$(cat "$dir/url")" \
      | awk '/^RESULT/ {print $8, $3, $4, $5, $7}')
  else
    res=$(wrk -t2 -c"$3" -d"${2}s" --latency -s "$dir/wrk.lua" "$(cat "$dir/url")" | grep '^RESULT' | cut -d' ' -f2-)
  fi
  # shellcheck disable=SC2086
  j1=$(bench_ticks "$(cat "$dir/pid")"); g1=$(bench_ticks $pg)
  local ops
  read -r rate _ _ _ ops <<<"$res"
  res=$(cut -d' ' -f1-4 <<<"$res")
  n=${ops:-$(awk -v r="$rate" -v s="$2" 'BEGIN {print r * s}')}
  echo "$res $(awk -v a="$j0" -v b="$j1" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", (b - a) / hz * 1e6 / n}')" \
    "$(awk -v a="$g0" -v b="$g1" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", (b - a) / hz * 1e6 / n}')"
}

bench_median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench_rss_mb() { ps -o rss= -p "$(cat "$WORK/$1/pid")" | awk '{printf "%d", $1/1024}'; }
