#!/usr/bin/env bash
# bench/cluster/round_trips.sh — what one request costs the PostgreSQL server: the statements
# (each one client/server round trip: nothing is pipelined) a node sends per proxied request,
# by kind, counted from the server's own statement log (issue 19; docs/PERFORMANCE.md).
#
# NODES (1 or 2) nodes on one database of a throw-away server (tests/support qg_postgres_fixture;
# fsync, synchronous_commit and full_page_writes on), RATE req/s in all for DURATION s through
# bench/peers/bench.sh (two nodes: half each), with log_min_duration_statement = 0 only while
# wrk runs (every statement logged when it ends, with the time the server spent on it). A
# simple-protocol statement (BEGIN, COMMIT, a text query) is timed from parse to the end of its
# commit; a statement with parameters (extended protocol: the appends, the follower's reads)
# only to the end of its Execute, lock waits included: its autocommit transaction commits at
# the Sync message after it, so its commit and WAL flush are NOT in that time (the request
# path's `pg` hand-offs, bench/proxy/request_path.sh STORAGE=postgres, show them). Requests =
# the ReservationCreated events written.
#   RATE=200 DURATION=5 NODES=1 bench/cluster/round_trips.sh          (QUOTAGUARD_BIN: another build)
set -euo pipefail
source "$(dirname "$0")/pg_bench.sh"
RATE=${RATE:-200}; DURATION=${DURATION:-5}; NODES=${NODES:-1}
pg_bench_begin round-trips 64
sql() { psql -qtA "$admin" "$@"; }
sql -c "CREATE DATABASE qg_one" >/dev/null
for n in $(seq 1 "$NODES"); do
  QUOTAGUARD_POSTGRES_DSN="$(pg_dsn qg_one)" \
    QG_STORAGE_EXTRA=$'  backend: postgres\n  postgres: {node_id: node'"$n}" start_qg "pg$n" $((9210 + n)) "http://127.0.0.1:$fport/v1"
done
created() { psql -qtA "$(pg_dsn qg_one)" -c "SELECT count(*) FROM events WHERE type = 'ReservationCreated'"; }
server_log="$pgcluster/server.log"
sleep 1
before=$(created); log_from=$(stat -c %s "$server_log")
sql -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
drivers=()
for n in $(seq 1 "$NODES"); do
  pid_var=QG_PID_pg$n
  RSS_PID=${!pid_var} RATE=$((RATE / NODES)) DURATION=$DURATION CONNS=16 \
    bench/peers/bench.sh "http://127.0.0.1:$((9210 + n))/v1" "round-trips-$n" >/dev/null &
  drivers+=($!)
done
wait "${drivers[@]}"
sql -c "ALTER SYSTEM SET log_min_duration_statement = -1" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
requests=$(( $(created) - before ))
echo "# round_trips $(date -u +%FT%TZ): quotaguard $("$qg" version 2>/dev/null | head -1); fsync $(pg_show fsync), synchronous_commit $(pg_show synchronous_commit), full_page_writes $(pg_show full_page_writes)"
echo "# $NODES node(s), $requests requests (ReservationCreated written) at $RATE req/s for $DURATION s, load average after $(cut -d' ' -f1-3 /proc/loadavg)"
# Each statement ends with a "LOG:  duration: D ms  statement: ..." (simple query) or "...  execute
# <unnamed>: ..." (extended protocol; its parse and bind phases are logged apart and left
# out) line; the settings changes of this script are left out. Per kind: count, total ms.
tail -c +"$((log_from + 1))" "$server_log" |
  sed -n 's/.*LOG:  duration: \([0-9.]*\) ms  \(statement\|execute [^:]*\): /\1 /p' |
  grep -v "ALTER SYSTEM\|pg_reload_conf\|SHOW \|count(\*) FROM events" | cut -c1-110 |
  awk '{d=$1; $1=""; k=substr($0, 2, 96); n[k]++; t[k]+=d} END {for (k in n) printf "%d %.3f %s\n", n[k], t[k], k}' |
  sort -rn > "$work/kinds.txt"
# The append statements' times one by one: p50, p90, and the share above 0.2 ms (with two nodes,
# mostly an UPDATE of event_head that waited for the other node's append to commit).
tail -c +"$((log_from + 1))" "$server_log" |
  sed -n 's/.*LOG:  duration: \([0-9.]*\) ms  execute [^:]*: WITH head AS.*/\1/p' | sort -n |
  awk '{v[NR]=$1; if ($1 > 0.2) s++} END {if (!NR) exit; i=int(NR*0.9)+1; if (i > NR) i=NR
    printf "# append statements, server ms each (Execute only): p50 %.3f, p90 %.3f, above 0.2 ms %.0f %%\n", v[int(NR/2)+1], v[i], 100*s/NR}' > "$work/append_times.txt"
# append statements (WITH head AS ...): those that appended, and guarded ones that found the
# head moved (and returned the rows that moved it); per request and per append statement
commits=$(awk '/WITH head AS/ {n += $1} END {print n + 0}' "$work/kinds.txt")
echo "# $commits append statements; columns: statements, per request, per append, server ms per statement (mean), kind"
awk -v n="$requests" -v k="$commits" '{c=$1; ms=$2; $1=""; $2=""; t+=c; tm+=ms
       printf "%8d %6.2f %6.2f %8.3f %s\n", c, (n ? c / n : 0), (k ? c / k : 0), ms / c, $0}
     END {printf "%8d %6.2f %6.2f %8.3f   all statements (server ms per request: %.3f)\n", t, (n ? t / n : 0), (k ? t / k : 0), (t ? tm / t : 0), (n ? tm / n : 0)}' "$work/kinds.txt"
# The nodes' commits by path (quotaguard_journal_shared_commits_total; a build without it prints
# nothing there).
paths() { curl -fsS "http://127.0.0.1:$1/metrics" | awk '/^quotaguard_journal_shared_commits_total/ {
  sub(/.*path="/, ""); sub(/"}/, ""); printf " %s %s", $1, $2}'; }
cat "$work/append_times.txt"
for n in $(seq 1 "$NODES"); do echo "# node$n commits by path (whole run):$(paths $((9210 + n)) || true)"; done
