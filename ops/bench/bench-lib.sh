# Shared by ledger.sh, replay.sh and history.sh (sourced, not run).

BENCH_CP="modules/cli/target/grantry.jar:modules/cli/target/test-classes"

# The runnable jar and the benchmark classes (cli test classes), built offline when missing.
bench_build() {
  if [ ! -f modules/cli/target/grantry.jar ] || [ ! -f modules/cli/target/test-classes/io/grantry/cli/bench/LedgerGenerator.class ] \
      || [ "${GRANTRY_BENCH_BUILD:-0}" = 1 ]; then
    mvn -B -o -q -DskipTests -pl modules/cli -am package
  fi
}

# Starts the server once on a new data directory (secrets, signing keys, the demo seed), then stops it.
bench_init_data_dir() {
  local data=$1 port=${GRANTRY_BENCH_INIT_PORT:-18391} pid
  GRANTRY_HTTP_PORT=$port GRANTRY_DATA_DIR=$data GRANTRY_LOG_LEVEL=WARN GRANTRY_CHECKPOINT_INTERVAL_MS=0 \
    java -jar modules/cli/target/grantry.jar > "$data/init.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || { cat "$data/init.out" >&2; return 1; }
    sleep 0.5
  done
  kill $pid
  wait $pid 2>/dev/null || true
}

# Rebuilds every projection of the data directory from its ledger, the inline ones and the
# asynchronous ones a server follows the ledger with (left at its end, with no lag), then vacuums
# and analyzes the tables (as autovacuum would have on a long-running server).
# GRANTRY_BENCH_REBUILD_HEAP (default 3g): the rebuild's heap; the token-state fold runs in as many
# parts as that heap needs (a read of the ledger each: at 20M events 3g means several).
bench_rebuild() {
  local heap=${GRANTRY_BENCH_REBUILD_HEAP:-3g}
  GRANTRY_DATA_DIR=$1 java -XX:+UseParallelGC -Xms"$heap" -Xmx"$heap" -Dgrantry.bench.vacuum=true -Dgrantry.bench.background=true \
    -cp "$BENCH_CP" io.grantry.cli.bench.RebuildBenchmark
}

# The median of the numbers given.
bench_median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# One line describing the machine.
bench_machine() {
  echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr), $(java -version 2>&1 | head -1)"
}
