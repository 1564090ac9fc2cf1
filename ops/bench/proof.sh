#!/usr/bin/env bash
# Issue 20, inclusion proofs: starts the server on a ledger made by ops/bench/ledger.sh (its first
# checkpoint builds the Merkle tree from the first event when the ledger's checkpoints predate it:
# timed), then io.grantry.cli.bench.ProofBenchmark asks the admin API for inclusion proofs of events
# at random positions, one at a time, checks each against the signed tree head and prints the
# latencies (median, p90, p99, max; client side, HTTP included). Appends to results/proof.md.
# With psql (Debian's postgresql-client) it also counts what the proofs cost PostgreSQL, a figure
# that does not depend on the page cache: the server runs with pg_stat_statements, and the shared
# buffers each proof's statements touched (hit + read) are summed per statement over the run.
# Before the proofs it waits until the server has stored the leaf hashes of every complete tile
# (migration V24; after an upgrade the server back-fills them: timed).
# Usage: ops/bench/proof.sh DATA_DIR [proofs=2000]   (no server may be running on DATA_DIR)
#   JAR: the server's jar (default modules/cli/target/grantry.jar)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:?usage: proof.sh DATA_DIR [proofs]}
N=${2:-2000}
PORT=${GRANTRY_BENCH_PORT:-18392}
JAR=${JAR:-modules/cli/target/grantry.jar}
. ops/bench/bench-lib.sh
bench_build
OUT=ops/bench/results/raw/proof
mkdir -p "$OUT"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s.%N)
# shellcheck disable=SC2046
GRANTRY_DATA_DIR=$DATA GRANTRY_HTTP_PORT=$PORT GRANTRY_CHECKPOINT_INTERVAL_MS=1000 GRANTRY_LOG_LEVEL=INFO \
  GRANTRY_EMBEDDED_PG_SETTINGS="shared_preload_libraries=pg_stat_statements;pg_stat_statements.track=all" \
  java $(cat ops/bench/jvm.opts) -jar "$JAR" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/ledger/checkpoint" > "$OUT/checkpoint.txt"; do
  kill -0 $SERVER 2>/dev/null || { tail -20 "$OUT/server.log" >&2; exit 1; }
  sleep 1
done
t1=$(date +%s.%N)
BUILT=$(python3 -c "print(round($t1 - $t0, 1))")
ADMIN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['admin_token'])" "$DATA/secrets.json")
PSQL=""
if command -v psql >/dev/null; then
  export PGPASSWORD; PGPASSWORD=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['postgres_password'])" "$DATA/secrets.json")
  PSQL="psql -h 127.0.0.1 -p $(sed -n 4p "$DATA/postgres/postmaster.pid") -U postgres -d postgres -XAtq"
  $PSQL -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
  # The stored tiles (V24), when this server has them: every complete tile's, before measuring. (A
  # jar from before V24 has no such table, and a statement naming it fails as it is parsed: asked
  # apart.)
  if [ "$($PSQL -c "SELECT to_regclass('ledger_tree_tile_leaves') IS NOT NULL")" = t ]; then
    until [ "$($PSQL -c "SELECT (SELECT count(*) FROM ledger_tree_tile_leaves)
        >= (SELECT max(tree_size) / 256 FROM ledger_tree_heads)")" = t ]; do
      kill -0 $SERVER 2>/dev/null || { tail -20 "$OUT/server.log" >&2; exit 1; }
      sleep 1
    done
  fi
  $PSQL -c "SELECT pg_stat_statements_reset()" >/dev/null
fi
t2=$(date +%s.%N)
FILLED=$(python3 -c "print(round($t2 - $t1, 1))")
line=$(java -cp "$BENCH_CP" io.grantry.cli.bench.ProofBenchmark "http://127.0.0.1:$PORT" "$ADMIN" "$N" | tee "$OUT/proofs.out" | grep '^PROOFS')
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
BUFFERS=""
if [ -n "$PSQL" ]; then
  # Every proof (warm-up included) reads its tree head by size once: that count is the proofs'.
  BUFFERS=$($PSQL -F ' | ' -c "
    WITH s AS (SELECT query, calls, shared_blks_hit + shared_blks_read AS touched, shared_blks_read AS rd
      FROM pg_stat_statements WHERE query ~ '(events|ledger_tree_)' AND query !~ '(pg_stat_statements|to_regclass)'),
    p AS (SELECT sum(calls) AS n FROM s WHERE query LIKE '%FROM ledger_tree_heads WHERE tree_size = %')
    SELECT '| ' || to_char(s.calls / p.n, 'FM990.00') || ' | ' || to_char(s.touched / p.n, 'FM99990.0')
      || ' | ' || to_char(s.rd / p.n, 'FM99990.0') || ' | \`' || left(regexp_replace(s.query, '\s+', ' ', 'g'), 110) || '\` |'
    FROM s, p WHERE s.calls > 0 ORDER BY s.touched DESC")
  BUFFERS="$BUFFERS
$($PSQL -F ' | ' -c "
    WITH s AS (SELECT query, calls, shared_blks_hit + shared_blks_read AS touched, shared_blks_read AS rd
      FROM pg_stat_statements WHERE query ~ '(events|ledger_tree_)' AND query !~ '(pg_stat_statements|to_regclass)'),
    p AS (SELECT sum(calls) AS n FROM s WHERE query LIKE '%FROM ledger_tree_heads WHERE tree_size = %')
    SELECT '| **all, per proof (' || p.n || ' proofs)** | **' || to_char(sum(s.touched) / p.n, 'FM99990.0') || '** | **'
      || to_char(sum(s.rd) / p.n, 'FM99990.0') || '** | |' FROM s, p GROUP BY p.n")"
fi
{
  echo
  echo "## \`ops/bench/proof.sh $DATA $N\`, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "machine: $(bench_machine); load average at the start: $LOAD0, at the end: $LOAD1."
  echo "From the server's start to its first signed tree head: $BUILT s (the tree built from the first event if the ledger's checkpoints predate it)."
  echo "Then until every complete tile's leaf hashes were stored (back-filled after an upgrade; 0 when there was nothing to do or the jar predates them): $FILLED s. Jar: $JAR."
  echo
  echo "    $line"
  if [ -n "$BUFFERS" ]; then
    echo
    echo "Shared buffers per proof (pg_stat_statements over every proof, warm-up included; hit + read does not depend on the page cache, read does):"
    echo
    echo "| statement calls per proof | buffers hit + read per proof | of which read | statement |"
    echo "|---|---|---|---|"
    echo "$BUFFERS"
  fi
} | tee -a ops/bench/results/proof.md
