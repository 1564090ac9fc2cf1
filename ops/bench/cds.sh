#!/usr/bin/env bash
# Builds a class-data-sharing archive (AppCDS, a JDK 17 dynamic archive) for one Grantry jar: starts
# the jar with -XX:ArchiveClassesAtExit on a scratch embedded PostgreSQL, drives a training workload
# through the HTTP API (client_credentials ES256, RS256 and opaque, introspection, refresh with
# rotation, the code flow: TRAIN_SECS each, 16 connections), and stops it with SIGTERM; the JVM
# writes the archive as it exits. A server started with -XX:SharedArchiveFile=ARCHIVE then maps the
# classes the training loaded (parsed and verified) instead of loading them from the jar.
#
# The archive is only valid for that jar at that path (the JVM checks the class path's names, sizes
# and times) and for that JDK: make it again after every build, at the path the jar runs from. A
# stale or foreign one is refused with a warning and the server starts without it (-Xshare:auto).
#
# Usage: ops/bench/cds.sh JAR ARCHIVE   (TRAIN_SECS default 5; GRANTRY_BENCH_PORT default 18381)
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=${1:?usage: ops/bench/cds.sh JAR ARCHIVE}
ARCHIVE=${2:?usage: ops/bench/cds.sh JAR ARCHIVE}
SECS=${TRAIN_SECS:-5}
PORT=${GRANTRY_BENCH_PORT:-18381}
BASE=http://127.0.0.1:$PORT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
JAR=$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")
ARCHIVE=$(mkdir -p "$(dirname "$ARCHIVE")" && cd "$(dirname "$ARCHIVE")" && pwd)/$(basename "$ARCHIVE")
WORK=$(mktemp -d /tmp/grantry-cds.XXXXXX)
chmod 755 "$WORK"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export BENCH_LUA_DIR=$PWD/ops/bench/lua BENCH_THREADS=2
rm -f "$ARCHIVE"

# shellcheck disable=SC2046
env GRANTRY_HTTP_PORT="$PORT" GRANTRY_HTTP_HOST=127.0.0.1 GRANTRY_DATA_DIR="$WORK/data" GRANTRY_LOG_LEVEL=WARN \
  java $(cat ops/bench/jvm.opts) -XX:ArchiveClassesAtExit="$ARCHIVE" -jar "$JAR" > "$WORK/server.out" 2>&1 &
PID=$!
for _ in $(seq 1 480); do
  curl -sf "$BASE/health/ready" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.out" >&2; exit 1; }
  sleep 0.25
done
curl -sf "$BASE/health/ready" >/dev/null || { echo "the server did not become ready" >&2; exit 1; }
TOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['admin_token'])" "$WORK/data/secrets.json")
python3 ops/bench/seed.py setup "$BASE" "$TOKEN" "$WORK/seed.json" > /dev/null
seed() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(eval(sys.argv[2], {}, d))" "$WORK/seed.json" "$1"; }
basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$(seed "clients['$1']")" | base64 -w0)"; }
train() { # lua path env...
  local script=$1 path=$2
  shift 2
  env "$@" wrk -t2 -c16 -d"${SECS}s" -s "ops/bench/lua/$script.lua" "$BASE$path" > /dev/null 2>&1 || true
}
CC="grant_type=client_credentials&scope=api"
train form /token BENCH_AUTH="$(basic bench-es256)" BENCH_BODY="$CC"
train form /token BENCH_AUTH="$(basic bench-rs256)" BENCH_BODY="$CC"
train form /token BENCH_AUTH="$(basic bench-opaque)" BENCH_BODY="$CC"
train form /introspect BENCH_AUTH="$(basic bench-es256)" BENCH_BODY="token=$(seed jwt_token)"
train form /introspect BENCH_AUTH="$(basic bench-opaque)" BENCH_BODY="token=$(seed opaque_token)"
python3 ops/bench/seed.py chains "$BASE" "$WORK/seed.json" 32 "$WORK/chains.txt"
train refresh /token BENCH_AUTH="$(basic bench-web)" BENCH_CHAINS="$WORK/chains.txt"
train flow /token BENCH_AUTH="$(basic bench-web)" BENCH_COOKIE="$(seed cookie)" \
  BENCH_QUERY="$(seed "flow['query']")" BENCH_VERIFIER="$(seed "flow['verifier']")" BENCH_REDIRECT="$(seed "flow['redirect_uri']")"

# SIGTERM: the server shuts down (its PostgreSQL too) and the JVM writes the archive at exit.
kill -TERM "$PID"
wait "$PID" || true
PID=""
[ -s "$ARCHIVE" ] || { echo "no archive written; the server's output:" >&2; tail -20 "$WORK/server.out" >&2; exit 1; }
echo "$ARCHIVE: $(du -h "$ARCHIVE" | cut -f1), for $JAR"
