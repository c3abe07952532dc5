#!/usr/bin/env bash
# bench/cluster/statement_cost.sh — what the journal's append statement costs the PostgreSQL
# server, through pgbench (issue 19; docs/PERFORMANCE.md "Prepared statements"): the guarded
# append of persistence/postgres_event_log.cpp (kAppendOrRead, a batch of two events; its guard
# here always holds, so every call appends) sent as the unnamed statement the journal sent before
# (`-M extended`: parsed, rewritten and planned at each call, as PQexecParams) and as a prepared
# one (`-M prepared`: as PgConnection::exec_prepared), with 1 and 2 clients, ROUNDS times;
# then the same statement (extended) over TCP loopback and over a unix socket (the server is
# restarted with one). Each pgbench run is T seconds; latency = the whole statement, its
# commit and WAL flush included. Durable settings as bench-cluster (bench/cluster/pg_bench.sh).
#   ROUNDS=2 T=4 bench/cluster/statement_cost.sh
set -euo pipefail
source "$(dirname "$0")/pg_bench.sh"
ROUNDS=${ROUNDS:-2}; T=${T:-4}
pg_bench_begin statement-cost 4
command -v pgbench >/dev/null || { echo "bench: pgbench not found (postgresql-contrib / postgresql-15)" >&2; exit 2; }
psql -q "$admin" -c "CREATE DATABASE qg_one" >/dev/null
db="$(pg_dsn qg_one)"
psql -q "$db" -c "CREATE TABLE events(seq BIGINT PRIMARY KEY, ts BIGINT NOT NULL, type TEXT NOT NULL, account TEXT NOT NULL DEFAULT '', version INTEGER NOT NULL, data TEXT NOT NULL, node TEXT NOT NULL DEFAULT '')" \
  -c "CREATE TABLE event_head(one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), last_seq BIGINT NOT NULL)" \
  -c "INSERT INTO event_head VALUES (true, 0)" >/dev/null
cat > "$work/append.sql" <<'SQL'
WITH head AS (UPDATE event_head SET last_seq = last_seq + :n::bigint WHERE last_seq >= :k::bigint RETURNING last_seq - :n::bigint AS base, pg_notify('quotaguard_events', :node::text)), ins AS ( INSERT INTO events(seq, ts, type, account, version, data, node) SELECT head.base + e.ord, e.ts, e.type, e.account, e.version, e.data, :node::text FROM head, unnest(:ts::bigint[], :types::text[], :accounts::text[], :versions::integer[], :data::text[]) WITH ORDINALITY AS e(ts, type, account, version, data, ord)) SELECT base + :n::bigint, 0::bigint, ''::text, ''::text, 0, ''::text, ''::text, true FROM head UNION ALL (SELECT seq, ts, type, account, version, data, node, false FROM events WHERE seq > :k::bigint AND NOT EXISTS (SELECT 1 FROM head) ORDER BY seq LIMIT :lim::integer);
SQL
D=(-D n=2 -D k=0 -D node=x -D lim=2000 -D 'ts={1700000000000,1700000000001}'
   -D 'types={ReservationCreated,ReservationCommitted}' -D 'accounts={mock,mock}' -D 'versions={1,1}'
   -D 'data={"{\"id\":\"r-1\",\"model\":\"gpt-4o\",\"tokens\":100}","{\"id\":\"r-1\"}"}')
run() { pgbench -n "$@" -T "$T" "${D[@]}" -f "$work/append.sql" 2>/dev/null | awk '/latency average/ {printf "latency %s ms", $4} /^tps/ {printf ", %.0f tps\n", $3}'; }
echo "# statement_cost $(date -u +%FT%TZ): PostgreSQL $(pg_show server_version): fsync $(pg_show fsync), synchronous_commit $(pg_show synchronous_commit), full_page_writes $(pg_show full_page_writes), wal_sync_method $(pg_show wal_sync_method)"
for round in $(seq 1 "$ROUNDS"); do
  for c in 1 2; do
    for m in extended prepared; do printf "round %s clients %s %-9s " "$round" "$c" "$m"; run -M "$m" -c "$c" -j "$c" "$db"; done
  done
done
sock="$work/sock"; mkdir -p "$sock"; chmod 755 "$work"
as_server=(); [[ $EUID == 0 ]] && { as_server=(runuser -u postgres --); chown postgres "$sock"; }  # as the fixture runs it
psql -q "$admin" -c "ALTER SYSTEM SET unix_socket_directories = '$sock'" >/dev/null
"${as_server[@]}" "$(pg_config --bindir)/pg_ctl" -D "$pgcluster/data" -w -m fast restart >/dev/null 2>&1
for round in $(seq 1 "$ROUNDS"); do
  for h in 127.0.0.1 "$sock"; do
    printf "round %s %-12s extended  " "$round" "$([[ $h == 127.0.0.1 ]] && echo tcp-loopback || echo unix-socket)"
    PGPASSWORD=$pgpass run -M extended -h "$h" -p "$pgport" -U "$pguser" -c 1 qg_one
  done
done
