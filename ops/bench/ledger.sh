#!/usr/bin/env bash
# Fills a data directory with a ledger of N events of realistic traffic (client_credentials
# tokens, code flows with refresh rotations, revocations, reuse detection, users, consents,
# clients, signed checkpoints), fast: the server starts once on it (keys, secrets, demo seed),
# then io.grantry.cli.bench.LedgerGenerator writes the events with COPY, the projections are
# rebuilt from them (the inline ones and the asynchronous ones every server follows the ledger with,
# io.grantry.server.BackgroundProjections, left at the ledger's end: a server started on it has no
# backlog to replay, as one that had run on it all along) and `grantry audit verify` checks the
# whole ledger.
# Usage: ops/bench/ledger.sh N DATA_DIR   (DATA_DIR must not exist yet; keep it outside the repo)
#   GRANTRY_BENCH_SEED (default 42), GRANTRY_BENCH_SKIP_VERIFY=1 to skip the verification,
#   GRANTRY_BENCH_REBUILD_HEAP (default 3g) the rebuild's heap (12g folds 20M events in one part).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:?usage: ledger.sh N DATA_DIR}
DATA=${2:?usage: ledger.sh N DATA_DIR}
[ -e "$DATA" ] && { echo "$DATA exists; give a new directory" >&2; exit 2; }
. ops/bench/bench-lib.sh
bench_build
mkdir -p "$DATA"
chmod 755 "$DATA"
bench_init_data_dir "$DATA"
echo "generating $N events into $DATA" >&2
GRANTRY_DATA_DIR=$DATA java -Xmx3g -cp "$BENCH_CP" io.grantry.cli.bench.LedgerGenerator "$N" "${GRANTRY_BENCH_SEED:-42}"
echo "rebuilding the projections" >&2
bench_rebuild "$DATA"
if [ "${GRANTRY_BENCH_SKIP_VERIFY:-0}" != 1 ]; then
  echo "verifying" >&2
  GRANTRY_DATA_DIR=$DATA java -jar modules/cli/target/grantry.jar audit verify
fi
du -sh "$DATA" >&2
