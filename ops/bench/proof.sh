#!/usr/bin/env bash
# Issue 20, inclusion proofs: starts the server on a ledger made by ops/bench/ledger.sh (its first
# checkpoint builds the Merkle tree from the first event when the ledger's checkpoints predate it:
# timed), then io.grantry.cli.bench.ProofBenchmark asks the admin API for inclusion proofs of events
# at random positions, one at a time, checks each against the signed tree head and prints the
# latencies (median, p90, p99, max; client side, HTTP included). Appends to results/proof.md.
# Usage: ops/bench/proof.sh DATA_DIR [proofs=2000]   (no server may be running on DATA_DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:?usage: proof.sh DATA_DIR [proofs]}
N=${2:-2000}
PORT=${GRANTRY_BENCH_PORT:-18392}
. ops/bench/bench-lib.sh
bench_build
OUT=ops/bench/results/raw/proof
mkdir -p "$OUT"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s.%N)
# shellcheck disable=SC2046
GRANTRY_DATA_DIR=$DATA GRANTRY_HTTP_PORT=$PORT GRANTRY_CHECKPOINT_INTERVAL_MS=1000 GRANTRY_LOG_LEVEL=INFO \
  java $(cat ops/bench/jvm.opts) -jar modules/cli/target/grantry.jar > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/ledger/checkpoint" > "$OUT/checkpoint.txt"; do
  kill -0 $SERVER 2>/dev/null || { tail -20 "$OUT/server.log" >&2; exit 1; }
  sleep 1
done
t1=$(date +%s.%N)
BUILT=$(python3 -c "print(round($t1 - $t0, 1))")
ADMIN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['admin_token'])" "$DATA/secrets.json")
line=$(java -cp "$BENCH_CP" io.grantry.cli.bench.ProofBenchmark "http://127.0.0.1:$PORT" "$ADMIN" "$N" | tee "$OUT/proofs.out" | grep '^PROOFS')
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo
  echo "## \`ops/bench/proof.sh $DATA $N\`, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "machine: $(bench_machine); load average at the start: $LOAD0, at the end: $LOAD1."
  echo "From the server's start to its first signed tree head: $BUILT s (the tree built from the first event if the ledger's checkpoints predate it)."
  echo
  echo "    $line"
} | tee -a ops/bench/results/proof.md
