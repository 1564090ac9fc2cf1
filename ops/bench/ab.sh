#!/usr/bin/env bash
# Side-by-side (A/B) comparison of two builds or two JVM settings on this noisy machine: starts
# both servers at once (each on its own embedded database), then alternates wrk rounds A, B, A, B…
# against them, so that both see the same background load, and prints each round, the medians
# and the ratios B/A of requests/s and of the CPU time (server JVM + its PostgreSQL) per request.
# The idle server costs next to nothing while the other is measured. On a machine shared with
# other work, CPU per request is the steadier of the two figures.
#
# Usage: ops/bench/ab.sh WORKLOAD [seconds=8] [rounds=3] [connections=64]
#   WORKLOAD: cc-es256 | cc-rs256 | cc-opaque | introspect (an ES256 JWT) | introspect-opaque |
#             refresh | flow (as ops/bench/run.sh drives them; "req/s" is then refreshes/s or flows/s,
#             and the CPU time is per refresh or per flow; refresh chains are seeded afresh each round)
#             | introspect-population | introspect-population-opaque: (rounds + 1) × POP_CHUNK (100000)
#             access tokens issued on each side first; the warm-up and every round introspect the next
#             POP_CHUNK of them once each (lua/once.lua: a round ends at its seconds or when they are
#             used up; "req/s" is then answers/s, the CPU time per answer; no restart, unlike run.sh);
#             POP_FRESH=1: POP_BACKLOG (300000) tokens issued first and never introspected, then the
#             warm-up and every round introspect POP_CHUNK tokens issued just before it (the newest)
#   A_JAR / B_JAR     the jars to compare (default: modules/cli/target/grantry.jar for both)
#   A_JAVA / B_JAVA   JVM options of each side (default: -Xms256m -Xmx512m)
#   A_ENV / B_ENV     extra environment of each side, e.g. "GRANTRY_APPEND_MAX_BATCH=64"
#   WARMUP            seconds of warm-up load on each side before the first round (default: seconds)
set -euo pipefail
cd "$(dirname "$0")/../.."
WORKLOAD=${1:?workload: cc-es256 | cc-rs256 | cc-opaque | introspect | introspect-opaque | refresh | flow | introspect-population | introspect-population-opaque}
SECS=${2:-8}
ROUNDS=${3:-3}
CONN=${4:-64}
A_JAR=${A_JAR:-modules/cli/target/grantry.jar}
B_JAR=${B_JAR:-modules/cli/target/grantry.jar}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
. ops/bench/lib.sh
bench_workdir ab
PORT_A=${AB_PORT:-18281}
PORT_B=$((PORT_A + 1))
bench_start A "$A_JAR" "$PORT_A" "${A_JAVA:--Xms256m -Xmx512m}" "${A_ENV:-}"
bench_start B "$B_JAR" "$PORT_B" "${B_JAVA:--Xms256m -Xmx512m}" "${B_ENV:-}"
bench_ready A
bench_ready B
case "$WORKLOAD" in
  refresh|flow) bench_seed_browser A "$WORKLOAD" "$CONN"; bench_seed_browser B "$WORKLOAD" "$CONN" ;;
  introspect-population*)
    if [ "${POP_FRESH:-0}" = 1 ]; then pop=${POP_BACKLOG:-300000}; else pop=$(((ROUNDS + 1) * ${POP_CHUNK:-100000})); fi
    for side in A B; do bench_seed_population "$side" "$WORKLOAD" "$pop"; done ;;
  *) bench_seed A "$WORKLOAD"; bench_seed B "$WORKLOAD" ;;
esac

round() { bench_round "$1" "$2" "$CONN"; }
# Warm-up (JIT) of both sides: WARMUP seconds each (default: one round's length).
round A "${WARMUP:-$SECS}" >/dev/null
round B "${WARMUP:-$SECS}" >/dev/null

med() { bench_median "$@"; }
declare -a AR BR AP BP AC BC
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b / a}'; }
echo "round | A req/s | A p99 ms | A JVM+PG µs/req | B req/s | B p99 ms | B JVM+PG µs/req | B/A req/s | B/A µs/req"
for r in $(seq 1 "$ROUNDS"); do
  read -r ra ea _ pa ja ga <<<"$(round A "$SECS")"
  read -r rb eb _ pb jb gb <<<"$(round B "$SECS")"
  AR+=("$ra"); BR+=("$rb"); AP+=("$pa"); BP+=("$pb"); AC+=($((ja + ga))); BC+=($((jb + gb)))
  [ "$ea" = 0 ] && [ "$eb" = 0 ] || echo "errors: A $ea, B $eb" >&2
  echo "$r | $ra | $pa | $ja+$ga | $rb | $pb | $jb+$gb | $(ratio "$ra" "$rb") | $(ratio $((ja + ga)) $((jb + gb)))"
done
ma=$(med "${AR[@]}"); mb=$(med "${BR[@]}"); ca=$(med "${AC[@]}"); cb=$(med "${BC[@]}")
echo "median | $ma | $(med "${AP[@]}") | $ca | $mb | $(med "${BP[@]}") | $cb | $(ratio "$ma" "$mb") | $(ratio "$ca" "$cb")"
echo "RSS MB: A $(bench_rss_mb A), B $(bench_rss_mb B); load average $(cut -d' ' -f1-3 /proc/loadavg)"
