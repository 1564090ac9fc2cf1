#!/usr/bin/env bash
# Issue 6, replay speed: rebuilding all projections from the ledger (io.grantry.cli.bench.RebuildBenchmark:
# what `grantry projections rebuild --all` does, the bulk path: one COPY read, folds written with COPY,
# indexes after the load, then the swap; -Dgrantry.bench.statements=true for the statement path; module
# grantry-rebuild) with the CPU seconds of its JVM and of its PostgreSQL, and
# verifying the whole ledger (`grantry audit verify`, timed from start to exit), in events/s,
# alternating, medians of the rounds; writes ops/bench/results/replay.md. Run with no server on the
# data directory.
# Usage: ops/bench/replay.sh DATA_DIR [rounds=3]
#   DATA_DIR: made by ops/bench/ledger.sh N DATA_DIR (the issue asks for N >= 5,000,000).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:?usage: replay.sh DATA_DIR [rounds]}
ROUNDS=${2:-3}
. ops/bench/bench-lib.sh
bench_build
OUT=ops/bench/results/raw/replay
mkdir -p "$OUT"
RB=(); VF=(); JC=(); PC=(); N=""
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$ROUNDS"); do
  # The token-state fold holds every grant and token of the ledger in memory, in primitive arrays (1.3-1.4 GB at 5M
  # events; 6 GB was given before they replaced objects in hash maps).
  # Its log (standard output) says how long each step took (INFO lines of ProjectionRebuild, BulkFirstPass and
  # CopyWrites); the CPU of the JVM and of PostgreSQL is measured from outside the rebuild's code. The parallel collector
  # with a fixed heap: no concurrent marking of the fold's 1.4 GB competing for the two cores (G1 -Xmx3g:
  # 97,050 and 95,457 events/s against 104,698 and 107,283 alternating, idle machine, 2026-11-22 16:38).
  GRANTRY_DATA_DIR=$DATA java -XX:+UseParallelGC -Xms3g -Xmx3g -cp "$BENCH_CP" io.grantry.cli.bench.RebuildBenchmark \
    2> "$OUT/rebuild-$r.err" > "$OUT/rebuild-$r.out"
  read -r _ N secs rate < <(grep '^REBUILD' "$OUT/rebuild-$r.out")
  # CPU seconds of the rebuild's JVM and of its PostgreSQL, measured by the benchmark from /proc.
  read -r _ jcpu pcpu < <(grep '^CPU' "$OUT/rebuild-$r.out" || echo "CPU - -")
  JC+=("$jcpu"); PC+=("$pcpu")
  RB+=("$rate")
  t0=$(date +%s.%N)
  GRANTRY_DATA_DIR=$DATA java -jar modules/cli/target/grantry.jar audit verify > "$OUT/verify-$r.out" 2> "$OUT/verify-$r.err" \
    || { cat "$OUT/verify-$r.out" >&2; exit 1; }
  t1=$(date +%s.%N)
  VF+=("$(python3 -c "print(round($N / ($t1 - $t0)))")")
  echo "round $r: rebuild ${RB[-1]} events/s, verify ${VF[-1]} events/s" >&2
done
RESULT=ops/bench/results/replay.md
{
  echo "# Replay speed"
  echo
  echo "\`ops/bench/replay.sh $DATA $ROUNDS\` on a ledger of $N events (ops/bench/ledger.sh), $(date -u +%Y-%m-%dT%H:%MZ);"
  echo "machine: $(bench_machine); load average at the start: $LOAD0, at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| what | events/s (median) | rounds |"
  echo "|---|---|---|"
  echo "| rebuild all projections (one pass, fresh tables, swap) | $(bench_median "${RB[@]}") | ${RB[*]} |"
  echo "| audit verify (whole ledger, wall clock incl. JVM start) | $(bench_median "${VF[@]}") | ${VF[*]} |"
  echo
  echo "CPU seconds of the rebuild (median): JVM $(bench_median "${JC[@]}") (rounds ${JC[*]}), its PostgreSQL $(bench_median "${PC[@]}") (rounds ${PC[*]})."
  echo
  echo "Goal: at least 100,000 events/s for both. Verify output: $(tail -1 "$OUT/verify-1.out")"
} | tee "$RESULT"
