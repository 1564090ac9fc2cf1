#!/usr/bin/env bash
# Does a failed authentication's timing reveal whether the account exists? Sign-in with the right
# password / a wrong one / an unknown username, and client authentication with the right secret /
# a wrong one / an unknown client id, over HTTP against a test server on the embedded PostgreSQL.
# Prints medians per round and overall (ms). Source:
# modules/server/src/test/java/io/grantry/server/bench/AuthTimingBenchmark.java
# Usage: ops/bench/auth-timing.sh [rounds=3] [logins-per-case=30] [client-requests-per-case=300]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -pl modules/server -am verify -Dtest=AuthTimingBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Djacoco.skip=true -Dgrantry.bench.rounds="${1:-3}" -Dgrantry.bench.logins="${2:-30}" -Dgrantry.bench.clients="${3:-300}" \
  -DargLine="-Dgrantry.bench.rounds=${1:-3} -Dgrantry.bench.logins=${2:-30} -Dgrantry.bench.clients=${3:-300}"
cat modules/server/target/auth-timing.txt
