#!/usr/bin/env bash
# `grantry audit verify` of one ledger by two builds, alternating A, B, A, B...: wall clock per run
# (JVM start included, as replay.sh times it), events/s, the verifier JVM's own CPU seconds (user +
# system, from `time`), medians, and the load average around each run. For a change to the
# verification's cost on a shared machine: the CPU seconds move less with the machine's load than
# the wall clock does.
# Usage: ops/bench/verify-ab.sh A_JAR B_JAR DATA_DIR [rounds=3]   (no server running on DATA_DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."
A=${1:?usage: verify-ab.sh A_JAR B_JAR DATA_DIR [rounds]}
B=${2:?}
DATA=${3:?}
ROUNDS=${4:-3}
. ops/bench/bench-lib.sh
OUT=ops/bench/results/raw/verify-ab
mkdir -p "$OUT"
declare -A RATE CPU
for r in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    jar=$A; [ "$side" = B ] && jar=$B
    load=$(cut -d' ' -f1 /proc/loadavg)
    t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$OUT/time-$side-$r" env GRANTRY_DATA_DIR="$DATA" java -jar "$jar" audit verify \
      > "$OUT/verify-$side-$r.out" 2> "$OUT/verify-$side-$r.err" || { cat "$OUT/verify-$side-$r.out" >&2; exit 1; }
    t1=$(date +%s.%N)
    n=$(grep -o '^OK: [0-9]*' "$OUT/verify-$side-$r.out" | cut -d' ' -f2)
    rate=$(python3 -c "print(round($n / ($t1 - $t0)))")
    cpu=$(awk '{print $1 + $2}' "$OUT/time-$side-$r")
    RATE[$side]="${RATE[$side]:-} $rate"
    CPU[$side]="${CPU[$side]:-} $cpu"
    echo "round $r $side: $rate events/s, JVM CPU $cpu s, load at start $load, events $n" >&2
  done
done
echo "A ($A): events/s$(echo ${RATE[A]} | sed 's/^/ /'), median $(bench_median ${RATE[A]}); JVM CPU s${CPU[A]}, median $(bench_median ${CPU[A]})"
echo "B ($B): events/s$(echo ${RATE[B]} | sed 's/^/ /'), median $(bench_median ${RATE[B]}); JVM CPU s${CPU[B]}, median $(bench_median ${CPU[B]})"
echo "B's last output: $(tail -2 "$OUT/verify-B-$ROUNDS.out" | tr '\n' ' ')"
