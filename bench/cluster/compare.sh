#!/usr/bin/env bash
# bench/cluster/compare.sh — one node on SQLite vs one and two nodes on PostgreSQL, same run
# (issue 19). `make bench-cluster` runs it; the summary goes to bench/results/cluster-<time>.txt,
# figures to docs/PERFORMANCE.md.
#
# Upstream: qg-fake-provider (JSON chat completions). Targets, each fed POST /v1/chat/completions
# by bench/peers/bench.sh (wrk + bench.lua pacing):
#   direct   the fake itself (the reference for "added" latency)
#   sqlite   one node, storage.synchronous full (every commit fsynced)
#   pg1      one node on PostgreSQL (own database)
#   pg2      two nodes on one PostgreSQL database (another one), the load split over both
#            (two wrk at half the rate each; throughput summed, p50/p99 the worse node's)
# PostgreSQL is a throw-away server (tests/support qg_postgres_fixture: initdb + pg_ctl on a free
# loopback port) with fsync, synchronous_commit and full_page_writes turned back on (the
# fixture's are off): an acknowledged append is on disk, as with SQLite's full. Scenarios: r500
# (500 req/s, 32 connections) and max (as fast as possible). Rounds interleave the targets so
# that machine noise hits all of them.
# SCENARIOS="r500" runs only the 500 req/s one (default: "r500 max").
#   ROUNDS=2 DURATION=10 bench/cluster/compare.sh
set -euo pipefail
source "$(dirname "$0")/pg_bench.sh"
ROUNDS=${ROUNDS:-2}; DURATION=${DURATION:-10}; SCENARIOS=${SCENARIOS:-r500 max}
# Threads >= every keep-alive connection the gateways and wrk hold open at once (an httplib
# thread serves one connection until it closes): 4 nodes x 32 + 32.
pg_bench_begin cluster 200
show_logs() { for f in "$work"/*.log; do echo "== $f"; tail -5 "$f"; done >&2; }
trap show_logs ERR
psql -q "$admin" -c "CREATE DATABASE qg_one" -c "CREATE DATABASE qg_two" >/dev/null

up="http://127.0.0.1:$fport/v1"
start_qg sqlite 9200 "$up"
QUOTAGUARD_POSTGRES_DSN="$(pg_dsn qg_one)" QG_STORAGE_EXTRA=$'  backend: postgres\n  postgres: {node_id: one}' \
  start_qg pg1 9201 "$up"
QUOTAGUARD_POSTGRES_DSN="$(pg_dsn qg_two)" QG_STORAGE_EXTRA=$'  backend: postgres\n  postgres: {node_id: two-a}' \
  start_qg pg2a 9202 "$up"
QUOTAGUARD_POSTGRES_DSN="$(pg_dsn qg_two)" QG_STORAGE_EXTRA=$'  backend: postgres\n  postgres: {node_id: two-b}' \
  start_qg pg2b 9203 "$up"

echo "# bench-cluster $(date -u +%FT%TZ) on $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# quotaguard $($qg version 2>/dev/null | head -1); PostgreSQL $(pg_show server_version): fsync $(pg_show fsync), synchronous_commit $(pg_show synchronous_commit), full_page_writes $(pg_show full_page_writes)"
echo "# columns: round scenario target rps p50_ms p99_ms errors other_cpu_pct"
raw="$work/raw.txt"; : > "$raw"
for round in $(seq 1 "$ROUNDS"); do
  for scenario in $SCENARIOS; do
    for target in direct sqlite pg1 pg2; do
      rate=500; [[ $scenario == max ]] && rate=0
      if [[ $target == pg2 ]]; then
        half=$((rate / 2))
        RSS_PID=$QG_PID_pg2a RATE=$half CONNS=16 DURATION=$DURATION bench/peers/bench.sh http://127.0.0.1:9202/v1 "pg2a-$round-$scenario" > "$work/a.txt" &
        pa=$!
        RSS_PID=$QG_PID_pg2b RATE=$half CONNS=16 DURATION=$DURATION bench/peers/bench.sh http://127.0.0.1:9203/v1 "pg2b-$round-$scenario" > "$work/b.txt"
        wait $pa
        read -r _ ra p50a p99a _ _ ea _ _ oa < "$work/a.txt"
        read -r _ rb p50b p99b _ _ eb _ _ ob < "$work/b.txt"
        awk -v r="$round" -v s="$scenario" -v ra="$ra" -v rb="$rb" -v p50a="$p50a" -v p50b="$p50b" \
            -v p99a="$p99a" -v p99b="$p99b" -v e=$((ea + eb)) -v o="$oa" \
          'BEGIN{printf "%s %s pg2 %.0f %s %s %d %s\n", r, s, ra+rb, (p50a>p50b?p50a:p50b), (p99a>p99b?p99a:p99b), e, o}' | tee -a "$raw"
      else
        case $target in
          direct) url=$up; pid=$fake_pid ;;
          sqlite) url=http://127.0.0.1:9200/v1; pid=$QG_PID_sqlite ;;
          pg1) url=http://127.0.0.1:9201/v1; pid=$QG_PID_pg1 ;;
        esac
        RSS_PID=$pid RATE=$rate DURATION=$DURATION bench/peers/bench.sh "$url" "$target-$round-$scenario" > "$work/one.txt"
        read -r _ rps p50 p99 _ _ err _ _ other < "$work/one.txt"
        echo "$round $scenario $target $rps $p50 $p99 $err $other" | tee -a "$raw"
      fi
    done
  done
done

echo
echo "# summary (median over rounds; added = target - direct in the same round, then the median)"
awk '
  { key=$2" "$3; n[key]++; rps[key, n[key]]=$4; p50[key, n[key]]=$5; p99[key, n[key]]=$6; err[key]+=$7
    if ($3=="direct") { d50[$1" "$2]=$5; d99[$1" "$2]=$6 } row[NR]=$0 }
  END {
    for (i=1; i<=NR; i++) { split(row[i], f, " "); if (f[3]=="direct") continue
      k=f[2]" "f[3]; a=++na[k]; add50[k, a]=f[5]-d50[f[1]" "f[2]]; add99[k, a]=f[6]-d99[f[1]" "f[2]] }
    printf "%-6s %-7s %9s %9s %9s %12s %12s %7s\n", "scen", "target", "rps", "p50_ms", "p99_ms", "added_p50", "added_p99", "errors"
    split("r500 max", S, " "); split("direct sqlite pg1 pg2", T, " ")
    for (si=1; si<=2; si++) for (ti=1; ti<=4; ti++) { k=S[si]" "T[ti]; if (!(k in n)) continue
      printf "%-6s %-7s %9.0f %9.2f %9.2f", S[si], T[ti], med(rps, k, n[k]), med(p50, k, n[k]), med(p99, k, n[k])
      if (T[ti]=="direct") printf " %12s %12s", "-", "-"; else printf " %12.2f %12.2f", med(add50, k, na[k]), med(add99, k, na[k])
      printf " %7d\n", err[k] }
  }
  function med(arr, k, m,   i, j, v, t) { for (i=1; i<=m; i++) v[i]=arr[k, i]
    for (i=1; i<=m; i++) for (j=i+1; j<=m; j++) if (v[j]<v[i]) { t=v[i]; v[i]=v[j]; v[j]=t }
    return m%2 ? v[(m+1)/2] : (v[m/2]+v[m/2+1])/2 }
' "$raw"
events() { psql -tA "$(pg_dsn "$1")" -c 'SELECT count(*) FROM events'; }
echo "# events written: sqlite $(sqlite3 "$work/sqlite.db" 'select count(*) from events' 2>/dev/null || echo '?'), pg1 $(events qg_one), pg2 $(events qg_two)"
# The PostgreSQL nodes' commits by path (quotaguard_journal_shared_commits_total; a build
# without it prints nothing there).
paths() { curl -fsS "http://127.0.0.1:$1/metrics" | awk '/^quotaguard_journal_shared_commits_total/ {
  sub(/.*path="/, ""); sub(/"}/, ""); printf " %s %s", $1, $2}'; }
echo "# commits by path: pg1$(paths 9201 || true); pg2a$(paths 9202 || true); pg2b$(paths 9203 || true)"
# Each node's mean time per commit (quotaguard_journal_append_seconds: the journal's own
# statement(s), the reads of a commit that found the head moved included), whole run.
commit_ms() { curl -fsS "http://127.0.0.1:$1/metrics" | awk '/^quotaguard_journal_append_seconds_sum/ {s=$2}
  /^quotaguard_journal_append_seconds_count/ {c=$2} END {printf "%.3f", c ? s * 1000 / c : 0}'; }
echo "# commit ms (mean, whole run): sqlite $(commit_ms 9200 || true), pg1 $(commit_ms 9201 || true), pg2a $(commit_ms 9202 || true), pg2b $(commit_ms 9203 || true)"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
