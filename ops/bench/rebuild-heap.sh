#!/usr/bin/env bash
# The rebuild's memory is bounded by its heap, not by the ledger: rebuilds every projection of a
# ledger of N events twice, with a large heap (-Xmx3g: the token-state fold in one part) and with a
# small one (HEAP, default 256m: in as many parts as the heap needs, each a read of the ledger of its
# own), and compares the rows (count and sum of each row's 64-bit hash, per table: they must be
# equal). OLD_CP, when set, is the classpath of an older build (its grantry.jar and cli
# test-classes) rebuilt the same way in HEAP first, to show what that heap did before.
# Usage: ops/bench/rebuild-heap.sh N DATA_DIR [HEAP=256m]
#   DATA_DIR must not exist (made with ops/bench/ledger.sh N, kept: delete it afterwards) or, with
#   REUSE=1, be such a ledger already. Logs: ops/bench/results/raw/rebuild-heap/.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:?usage: rebuild-heap.sh N DATA_DIR [HEAP]}
DATA=${2:?usage: rebuild-heap.sh N DATA_DIR [HEAP]}
HEAP=${3:-256m}
. ops/bench/bench-lib.sh
bench_build
OUT=ops/bench/results/raw/rebuild-heap
mkdir -p "$OUT"
if [ "${REUSE:-0}" != 1 ]; then
  GRANTRY_BENCH_SKIP_VERIFY=1 ops/bench/ledger.sh "$N" "$DATA"
fi
rebuild() { # name heap classpath
  local f="$OUT/$1.out" rc=0
  echo "== $1: -Xmx$2" >&2
  GRANTRY_DATA_DIR=$DATA /usr/bin/time -f "ELAPSED %e s, max RSS %M KB" \
    java -XX:+UseParallelGC -Xmx"$2" -Dgrantry.bench.checksum=true -cp "$3" io.grantry.cli.bench.RebuildBenchmark \
    > "$f" 2>&1 || rc=$?
  grep -E '^(REBUILD|CPU|HEAP|ROWS|ELAPSED)|OutOfMemoryError|folds in|part [0-9]+ of' "$f" | sed 's/^.*\] //' >&2 || true
  echo "exit $rc" >&2
  return $rc
}
if [ -n "${OLD_CP:-}" ]; then
  rebuild old-small "$HEAP" "$OLD_CP" || echo "the older build failed in -Xmx$HEAP (as expected if it is the defect)" >&2
fi
rebuild large 3g "$BENCH_CP"
rebuild small "$HEAP" "$BENCH_CP"
if diff <(grep '^ROWS' "$OUT/large.out") <(grep '^ROWS' "$OUT/small.out"); then
  echo "SAME ROWS: the rebuild in -Xmx$HEAP equals the one in -Xmx3g, table by table" >&2
else
  echo "DIFFERENT ROWS" >&2
  exit 1
fi
