#!/usr/bin/env bash
# bench/proxy/request_path.sh — where one proxied request's time goes at a steady rate.
#
# Starts one QuotaGuard (synchronous: full) in front of the peers' nginx mock (:18080, started if
# not running), drives RATE req/s (default 500) with bench/peers/bench.sh for 6 s, records 1 s
# of the scheduler with `perf sched record` (whole machine: the wake-ups by wrk and nginx are
# recorded in their context), then prints: the request's intervals (request_path.py: read →
# route sent → grant → upstream sent → reply → answer sent, p50/p90), each kind of daemon
# thread's CPU and context switches in that second, and the journal's transactions and events
# over the run. Needs perf (linux-perf) and root or perf_event_paranoid <= 0.
# STORAGE=postgres: the daemon on a throw-away PostgreSQL server (tests/support
# qg_postgres_fixture, fsync, synchronous_commit and full_page_writes on, PG_SETTINGS as in
# bench/cluster/pg_bench.sh);
# NODES=2 adds a second node on the same database, driven at the same rate as the first (RATE
# each), and the path printed is the first node's. The hand-offs then include the server's
# backend processes (`pg`): the journal's statement wakes one, its reply wakes the journal.
#   bench/proxy/request_path.sh
#   RATE=200 QUOTAGUARD_BIN=/path/to/older/quotaguard bench/proxy/request_path.sh
#   STORAGE=postgres NODES=2 RATE=250 bench/proxy/request_path.sh
#   TIMEHIST_OUT=/tmp/th.txt bench/proxy/request_path.sh   # keeps the `perf sched timehist -w` text
#   RECORD_S=20 DURATION=24 STALL_MS=5 bench/proxy/request_path.sh
#       # 20 s recorded, and the requests over 5 ms with the journal's sleeps over 5 ms (a p99's stalls)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="$(realpath "${QUOTAGUARD_BIN:-$build/cli/quotaguard}")"
RATE=${RATE:-500}; QG_PORT=${QG_PORT:-9004}; JSON_PORT=${JSON_PORT:-18080}; RECORD_S=${RECORD_S:-1}; DURATION=${DURATION:-6}
command -v perf >/dev/null || { echo "bench: perf not installed (apt-get install linux-perf)" >&2; exit 2; }
source "$(dirname "$0")/qg_instance.sh"
bench_begin path
mock_started=0
if ! curl -fs -m1 "http://127.0.0.1:$JSON_PORT/health" >/dev/null; then
  "$root/bench/peers/mock-upstream.sh" start "$JSON_PORT" >/dev/null; mock_started=1
fi
STORAGE=${STORAGE:-sqlite}; NODES=${NODES:-1}
if [[ $STORAGE == postgres ]]; then
  source "$root/bench/cluster/pg_bench.sh"  # pg_server_start: durable settings, PG_SETTINGS
  fixture="$build/tests/support/qg_postgres_fixture"
  trap 'pg_bench_stop' EXIT
  pg_server_start "$work/pg"
  psql -q "$admin" -c "CREATE DATABASE qg_path" >/dev/null
  export QUOTAGUARD_POSTGRES_DSN="$(pg_dsn qg_path)"
  QG_STORAGE_EXTRA=$'  backend: postgres\n  postgres: {node_id: path}' start_qg path "$QG_PORT" "http://127.0.0.1:$JSON_PORT/v1"
  if [[ $NODES == 2 ]]; then
    QG_STORAGE_EXTRA=$'  backend: postgres\n  postgres: {node_id: other}' start_qg other $((QG_PORT + 1)) "http://127.0.0.1:$JSON_PORT/v1"
  fi
else
  start_qg path "$QG_PORT" "http://127.0.0.1:$JSON_PORT/v1"
fi
batches() { curl -s "http://127.0.0.1:$QG_PORT/metrics" | awk '/^quotaguard_journal_batch_size_count/ {c=$2}
  /^quotaguard_journal_batch_size_sum/ {s=$2} /^quotaguard_journal_append_seconds_sum/ {t=$2} END {print c+0, s+0, t+0}'; }
read -r c0 s0 t0 < <(batches)
RATE=$RATE DURATION=$DURATION "$root/bench/peers/bench.sh" "http://127.0.0.1:$QG_PORT/v1" quotaguard >"$work/wrk.txt" 2>&1 &
load=$!
if [[ $STORAGE == postgres && $NODES == 2 ]]; then
  RATE=$RATE DURATION=$DURATION "$root/bench/peers/bench.sh" "http://127.0.0.1:$((QG_PORT + 1))/v1" other >"$work/wrk-other.txt" 2>&1 &
  other_load=$!
fi
sleep 2
perf sched record -o "$work/sched.data" -- sleep "$RECORD_S" >/dev/null 2>&1
wait "$load" || true
[[ -n ${other_load:-} ]] && { wait "$other_load" || true; }
read -r c1 s1 t1 < <(batches)
perf sched timehist -i "$work/sched.data" -w 2>/dev/null >"$work/timehist.txt"
[ -n "${TIMEHIST_OUT:-}" ] && cp "$work/timehist.txt" "$TIMEHIST_OUT"
echo "load: $(tail -1 "$work/wrk.txt")   (label rps p50 p99 p90 max errors ...)"
[[ -n ${other_load:-} ]] && echo "load on the other node: $(tail -1 "$work/wrk-other.txt")"
python3 "$(dirname "$0")/request_path.py" "$work/timehist.txt" "$QG_PID_path"
echo "daemon threads in the $RECORD_S recorded second(s) (CPU ms, context switches):"
daemon_threads "$work/sched.data" "$QG_PID_path"
echo "journal: $((c1 - c0)) transactions for $((s1 - s0)) events over the run, $(awk -v t="$t0" -v u="$t1" -v n=$((c1 - c0)) 'BEGIN {printf "%.3f", n ? (u - t) * 1000 / n : 0}') ms each (mean, the commit's own time)"
[ "$mock_started" = 1 ] && "$root/bench/peers/mock-upstream.sh" stop >/dev/null || true
