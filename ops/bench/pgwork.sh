#!/usr/bin/env bash
# What PostgreSQL does per token: runs Grantry on a fresh embedded database with pg_stat_statements
# loaded, drives one workload with wrk, and reports per unit of work (token or answer) over the
# measured window: statements and rows (pg_stat_statements), WAL records and bytes by record type
# with full-page images (pg_walinspect over the window's LSN range, and pg_stat_wal), PostgreSQL's
# CPU per process kind, and relation extensions (pg_stat_io). Figures of work, not of speed: they
# do not move with the machine's load the way requests/s do, so they compare two builds well on a
# shared machine.
#
# Usage: ops/bench/pgwork.sh WORKLOAD [seconds=15] [warmup=10]
#   WORKLOAD: cc-es256 | cc-rs256 | cc-opaque | introspect | introspect-opaque | refresh | flow
#   (refresh and flow: units are refreshes and flows, seeded as run.sh seeds them)
#   JAR (default modules/cli/target/grantry.jar), PGWORK_PORT (default 18391),
#   PGWORK_SETTINGS: extra embedded PostgreSQL settings (name=value;...)
# Needs psql (Debian's postgresql-client); the extensions come with the embedded PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORKLOAD=${1:?workload: cc-es256 | cc-rs256 | cc-opaque | introspect | introspect-opaque | refresh | flow}
SECS=${2:-15}
WARM=${3:-10}
JAR=${JAR:-modules/cli/target/grantry.jar}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
command -v psql >/dev/null || { echo "psql is missing: apt-get install postgresql-client" >&2; exit 2; }
. ops/bench/lib.sh
bench_workdir pgwork
bench_start M "$JAR" "${PGWORK_PORT:-18391}" "-Xms256m -Xmx512m" \
  "GRANTRY_EMBEDDED_PG_SETTINGS=shared_preload_libraries=pg_stat_statements;pg_stat_statements.track=all${PGWORK_SETTINGS:+;$PGWORK_SETTINGS}"
bench_ready M
case "$WORKLOAD" in
  refresh|flow) bench_seed_browser M "$WORKLOAD" 64 ;;
  *) bench_seed M "$WORKLOAD" ;;
esac
PGPORT=$(sed -n 4p "$WORK/M/data/postgres/postmaster.pid")
export PGPASSWORD; PGPASSWORD=$(bench_pg_password M)
q() { psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -XAtq -c "$1"; }
q "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS pg_walinspect;"
bench_round M "$WARM" 64 >/dev/null
q "CHECKPOINT"
q "SELECT pg_stat_statements_reset(); SELECT pg_stat_reset_shared('wal'); SELECT pg_stat_reset_shared('io');" >/dev/null
# Row updates per table before the window (pg_stat_user_tables cannot be reset per table): the window's are the difference.
q "CREATE TABLE pgwork_upd AS SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
L0=$(q "SELECT pg_current_wal_lsn()")
E0=$(q "SELECT count(*) FROM events")
declare -A T0
for p in $(bench_pg_pids M); do T0[$p]=$(bench_ticks "$p"); done
res=$(bench_round M "$SECS" 64)
declare -A T1 KIND
for p in $(bench_pg_pids M); do
  T1[$p]=$(bench_ticks "$p")
  KIND[$p]=$( (tr '\0' ' ' < "/proc/$p/cmdline" || echo gone) 2>/dev/null | sed -E 's/^postgres: (postgres postgres )?//; s/^127\.0\.0\.1\([0-9]+\).*/backend/; s/^\/.*/postmaster/; s/ +$//')
done
L1=$(q "SELECT pg_current_wal_lsn()")
E1=$(q "SELECT count(*) FROM events")
read -r rate errors p50 p99 _ <<<"$res"
N=$(awk -v r="$rate" -v s="$SECS" 'BEGIN {printf "%d", r * s}')
EV=$((E1 - E0))
[ "$N" -gt 0 ] || { echo "no requests completed" >&2; exit 1; }
echo "# PostgreSQL work per unit: $WORKLOAD, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), jar $JAR"
echo
echo "wrk: $rate req/s, p50 $p50 ms, p99 $p99 ms, errors $errors, ${SECS} s at 64 connections after ${WARM} s of warm-up;"
echo "units (requests) $N, events appended $EV; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "PostgreSQL CPU per unit (µs), by process:"
for p in "${!T1[@]}"; do echo "${KIND[$p]}|$(( T1[$p] - ${T0[$p]:-0} ))"; done \
  | awk -F'|' -v n="$N" -v hz="$(getconf CLK_TCK)" '{s[$1] += $2} END {for (k in s) if (s[k] > 0) printf "  %-40s %7.1f\n", k, s[k] / hz * 1e6 / n}' | sort -k2 -rn
echo
q "SELECT 'WAL per unit: ' || round(pg_wal_lsn_diff('$L1', '$L0') / $N, 1) || ' bytes; pg_stat_wal: ' || round(wal_records::numeric / $N, 2) || ' records, ' || round(wal_fpi::numeric / $N, 4) || ' full-page images, ' || wal_write || ' writes, ' || wal_sync || ' syncs, ' || wal_buffers_full || ' times wal_buffers full' FROM pg_stat_wal"
echo
echo "Statements (calls per unit | rows per unit | exec µs per unit | WAL bytes per unit | buffers per unit | query):"
q "SELECT round(calls::numeric / $N, 4) || ' | ' || round(rows::numeric / $N, 3) || ' | ' || round((total_exec_time * 1000 / $N)::numeric, 1) || ' | ' || round(wal_bytes / $N, 1) || ' | ' || round((shared_blks_hit + shared_blks_read)::numeric / $N, 2) || ' | ' || left(regexp_replace(query, '\s+', ' ', 'g'), 100) FROM pg_stat_statements WHERE calls > 0 AND query NOT LIKE '%pg_stat%' AND query NOT LIKE '%pg_current_wal_lsn%' AND query NOT LIKE 'SELECT count(*) FROM events' AND query NOT LIKE 'SELECT \$1%' ORDER BY total_exec_time DESC LIMIT 15"
q "SELECT 'all statements: ' || round((sum(total_exec_time) * 1000 / $N)::numeric, 1) || ' µs exec per unit' FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' AND query NOT LIKE 'SELECT count(*) FROM events'"
echo
echo "WAL by record type (records per unit | bytes per unit | of which full-page images):"
q "SELECT \"resource_manager/record_type\" || ' | ' || round(count::numeric / $N, 3) || ' | ' || round(combined_size::numeric / $N, 1) || ' | ' || round(fpi_size::numeric / $N, 1) FROM pg_get_wal_stats('$L0', '$L1', true) WHERE combined_size::numeric / $N >= 0.5 ORDER BY combined_size DESC"
echo
echo "Row updates per unit by table (all | HOT, i.e. without new index entries):"
q "SELECT '  ' || s.relname || ': ' || round((s.n_tup_upd - coalesce(b.n_tup_upd, 0))::numeric / $N, 3) || ' | ' || round((s.n_tup_hot_upd - coalesce(b.n_tup_hot_upd, 0))::numeric / $N, 3) FROM pg_stat_user_tables s LEFT JOIN pgwork_upd b USING (relname) WHERE s.n_tup_upd > coalesce(b.n_tup_upd, 0) ORDER BY s.relname"
echo
echo "Relation I/O of backends and background processes (pg_stat_io, over the window):"
q "SELECT '  ' || backend_type || ' ' || object || ' ' || context || ': writes ' || coalesce(writes, 0) || ', extends ' || coalesce(extends, 0) || ', evictions ' || coalesce(evictions, 0) || ', fsyncs ' || coalesce(fsyncs, 0) FROM pg_stat_io WHERE coalesce(writes, 0) + coalesce(extends, 0) + coalesce(evictions, 0) + coalesce(fsyncs, 0) > 0"
