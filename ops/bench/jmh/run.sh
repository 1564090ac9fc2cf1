#!/usr/bin/env bash
# Single-core signing rate of JwsSigner (ES256 and RS256, native provider and JDK provider), JMH,
# in forks started with the same JVM options as the benchmarked server (ops/bench/jvm.opts).
# Usage: ops/bench/jmh/run.sh [extra JMH options, e.g. -p alg=ES256 -i 3]
# Writes ops/bench/results/raw/jmh-signing.json (JMH's JSON) and prints JMH's table.
# BENCH=ValidationBenchmark runs the resource-server kit's validation rate instead
# (raw/jmh-validationbenchmark.json).
set -euo pipefail
cd "$(dirname "$0")/../../.."
JAR=ops/bench/jmh/target/benchmarks.jar
if [ ! -f "$JAR" ] || [ -n "$(find modules/server/src modules/resource/src ops/bench/jmh/src -newer "$JAR" -name '*.java' -print -quit)" ]; then
  # -Pjmh adds the module to the reactor; -am builds the server from source (no `mvn install`).
  mvn -B -q -Pjmh -pl ops/bench/jmh -am -DskipTests package
fi
OUT=ops/bench/results/raw
mkdir -p "$OUT"
JVM_OPTS=$(cat ops/bench/jvm.opts)
BENCH=${BENCH:-SigningBenchmark}
if [ "$BENCH" = SigningBenchmark ]; then RAW="$OUT/jmh-signing.json"; else RAW="$OUT/jmh-$(echo "$BENCH" | tr 'A-Z' 'a-z').json"; fi
# shellcheck disable=SC2086
java $JVM_OPTS -jar "$JAR" "$BENCH" -jvmArgs "$JVM_OPTS" -rf json -rff "$RAW" "$@"
