# bench/cluster/pg_bench.sh — sourced by the PostgreSQL benches (compare.sh, round_trips.sh):
#   pg_bench_begin NAME THREADS
# finds the binaries ($qg: QUOTAGUARD_BIN or BUILD_DIR's quotaguard; $fake; $fixture), sources
# bench/proxy/qg_instance.sh, starts the fake provider (THREADS threads; $fport, $fake_pid) and
# a throw-away PostgreSQL server (tests/support qg_postgres_fixture, in $pgdir, stopped on exit)
# with fsync, synchronous_commit and full_page_writes turned back on (the fixture turns them
# off: tests need no durability), so an acknowledged append is on disk, as with SQLite's full.
# Sets $pgport $pguser $pgpass $pgcluster (its data and server.log) and $admin (the postgres
# database's DSN); pg_dsn DB names another database, pg_show SETTING prints a setting.
# PG_SETTINGS="name=value ..." sets more server settings (ALTER SYSTEM, reloaded), e.g.
# PG_SETTINGS="wal_sync_method=open_datasync"; durability settings stay on.
# pg_server_start DIR (also request_path.sh's STORAGE=postgres): only the server, as above.
pg_bench_begin() {
  local name=$1 threads=$2
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  build="${BUILD_DIR:-$root/build}"
  qg="$(realpath "${QUOTAGUARD_BIN:-$build/cli/quotaguard}")"
  fake="$build/tests/fakes/qg-fake-provider"
  fixture="$build/tests/support/qg_postgres_fixture"
  local f
  for f in "$qg" "$fake" "$fixture"; do [[ -x "$f" ]] || { echo "bench-$name: $f not found (make build)" >&2; exit 2; }; done
  cd "$root"
  source "$root/bench/proxy/qg_instance.sh"
  bench_begin "$name"
  pgdir="$work/pg"
  trap pg_bench_stop EXIT
  export PEERS_DIR="$work/peers"
  start_fake --threads "$threads"
  fake_pid=${pids[0]}
  pg_server_start "$pgdir"
}

pg_server_start() {
  pgdir=$1
  "$fixture" start "$pgdir" >/dev/null
  read -r pgport pguser pgpass pgcluster < "$pgdir/server.conf"
  admin="$(pg_dsn postgres)"
  local s sets=(-c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on"
                -c "ALTER SYSTEM SET full_page_writes = on")
  for s in ${PG_SETTINGS:-}; do sets+=(-c "ALTER SYSTEM SET ${s%%=*} = '${s#*=}'"); done
  psql -q "$admin" "${sets[@]}" -c "SELECT pg_reload_conf()" >/dev/null
}

pg_bench_stop() { "$fixture" stop "$pgdir" >/dev/null 2>&1 || true; bench_cleanup; }
pg_dsn() { echo "postgresql://$pguser:$pgpass@127.0.0.1:$pgport/$1"; }
pg_show() { psql -tA "$admin" -c "SHOW $1"; }
