#!/usr/bin/env bash
# Event store append throughput with 1, 16 and 64 concurrent appenders of single events, each
# acknowledged after commit (synchronous_commit on), against the embedded PostgreSQL.
# Usage: ops/bench/append.sh [seconds-per-round=10] [rounds=3]  (GRANTRY_BENCH_INFLIGHT: batches in flight, default 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -DskipTests install -pl modules/eventstore -am
mvn -B -q -pl modules/eventstore exec:java -Dexec.classpathScope=test \
  -Dexec.mainClass=io.grantry.eventstore.bench.AppendBenchmark \
  -Dexec.args="${1:-10} ${2:-3}" -Dgrantry.bench.inflight="${GRANTRY_BENCH_INFLIGHT:-1}"
