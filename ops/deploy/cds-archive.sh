#!/usr/bin/env bash
# Makes an AppCDS archive (JDK 17 dynamic class-data sharing) for the jar at the path it will run
# from: starts JAVA -XX:ArchiveClassesAtExit=ARCHIVE -jar JAR in development mode (its embedded
# PostgreSQL in a scratch directory, on 127.0.0.1), sends it one request of each kind (discovery,
# JWKS, the sign-in page, a client registered through the admin API, client_credentials ES256 and
# RS256, introspection, a refused token request), and stops it with SIGTERM: the JVM writes the
# classes it loaded, parsed and verified, to ARCHIVE as it exits. A server started with
# -XX:SharedArchiveFile=ARCHIVE maps them instead of loading them from the jar: in the kit's A/B it
# was ready in about half the time (ops/bench/results/real-traffic.md).
#
# JDK 17 uses the archive only with the same java (the same runtime image) and the jar at the same
# path, as written on the command line, with the same size and time: make it again after every
# upgrade of either. A stale archive is refused with a warning and a missing one ignored (the server
# then starts as without it), unless -Xshare:on, which makes either an error: a way to check one.
#
# Usage: ops/deploy/cds-archive.sh JAVA JAR ARCHIVE [JVM options of the server...]
#   e.g. ops/deploy/cds-archive.sh /usr/bin/java /opt/grantry/grantry.jar /opt/grantry/grantry.jsa \
#          -XX:+UseParallelGC -Xms64m -Xmx192m
# build-image.sh runs it for the image (at the image's paths); GRANTRY_CDS_PORT (18391) is the port.
# Needs curl.
set -euo pipefail
JAVA=${1:?usage: cds-archive.sh JAVA JAR ARCHIVE [JVM options...]}
JAR=${2:?usage: cds-archive.sh JAVA JAR ARCHIVE [JVM options...]}
ARCHIVE=${3:?usage: cds-archive.sh JAVA JAR ARCHIVE [JVM options...]}
shift 3
PORT=${GRANTRY_CDS_PORT:-18391}
BASE=http://127.0.0.1:$PORT
command -v curl >/dev/null || { echo "cds-archive.sh: curl is missing" >&2; exit 2; }
WORK=$(mktemp -d /tmp/grantry-cds-archive.XXXXXX)
chmod 755 "$WORK"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
rm -f "$ARCHIVE"

# Development mode prints the demo secrets and the admin token: they stay in $WORK, deleted at exit.
env -u GRANTRY_DB_URL GRANTRY_HTTP_HOST=127.0.0.1 GRANTRY_HTTP_PORT="$PORT" GRANTRY_DATA_DIR="$WORK/data" \
  GRANTRY_LOG_LEVEL=WARN "$JAVA" "$@" -XX:ArchiveClassesAtExit="$ARCHIVE" -jar "$JAR" > "$WORK/server.out" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
  curl -sf "$BASE/health/ready" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { echo "cds-archive.sh: the server stopped:" >&2; tail -20 "$WORK/server.out" >&2; exit 1; }
  sleep 0.25
done
curl -sf "$BASE/health/ready" >/dev/null || { echo "cds-archive.sh: the server did not become ready" >&2; exit 1; }

ADMIN=$(sed -n 's/.*"admin_token" *: *"\([^"]*\)".*/\1/p' "$WORK/data/secrets.json")
get() { curl -s -o /dev/null "$@" || true; }
get "$BASE/.well-known/openid-configuration"
get "$BASE/jwks"
get "$BASE/authorize?response_type=code&client_id=demo-web&redirect_uri=http%3A%2F%2Flocalhost%3A8081%2Fcallback&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
get -d grant_type=client_credentials "$BASE/token"
for alg in ES256 RS256; do
  secret=$(curl -s -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "{\"client_id\":\"cds-$alg\",\"client_name\":\"cds $alg\",\"token_endpoint_auth_method\":\"client_secret_basic\",\"grant_types\":[\"client_credentials\"],\"scope\":\"api\",\"access_token_format\":\"jwt\",\"access_token_signing_alg\":\"$alg\"}" \
    "$BASE/admin/clients" | sed -n 's/.*"client_secret" *: *"\([^"]*\)".*/\1/p')
  [ -n "$secret" ] || continue
  for _ in 1 2 3; do
    token=$(curl -s -u "cds-$alg:$secret" -d 'grant_type=client_credentials&scope=api' "$BASE/token" \
      | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
    get -u "cds-$alg:$secret" -d "token=$token" "$BASE/introspect"
  done
done
get -H "Authorization: Bearer $ADMIN" "$BASE/admin/clients"

# SIGTERM: the server stops (its PostgreSQL too) and the JVM writes the archive as it exits.
kill -TERM "$PID"
wait "$PID" || true
PID=""
[ -s "$ARCHIVE" ] || { echo "cds-archive.sh: no archive written; the server's output:" >&2; tail -20 "$WORK/server.out" >&2; exit 1; }
echo "cds-archive.sh: $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1)) for $JAR run by $JAVA"
