#!/usr/bin/env bash
# bench/proxy/stream_path.sh — where a stream's time to its first byte goes at a steady rate.
#
# The stream counterpart of request_path.sh: one QuotaGuard (synchronous: full) in front of the
# peers' SSE mock (:18081, started if not running), bench/peers/ttfb.js driving RATE (200)
# streamed chat completions a second for 6 s, 1 s of `perf sched record` (whole machine), then:
# the client's TTFB line, each stream's intervals (stream_path.py: read → route sent → grant →
# upstream sent → the mock's reply → first byte to the client, p50/p90), each kind of daemon
# thread's CPU and context switches in that second. Needs perf and root or perf_event_paranoid <= 0.
#   bench/proxy/stream_path.sh
#   RATE=500 QUOTAGUARD_BIN=/path/to/older/quotaguard bench/proxy/stream_path.sh
#   TIMEHIST_OUT=/tmp/th.txt bench/proxy/stream_path.sh   # keeps the `perf sched timehist -w` text
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="$(realpath "${QUOTAGUARD_BIN:-$build/cli/quotaguard}")"
RATE=${RATE:-200}; QG_PORT=${QG_PORT:-9005}; SSE_PORT=${SSE_PORT:-18081}; PEERS_DIR=${PEERS_DIR:-/tmp/peers}
command -v perf >/dev/null || { echo "bench: perf not installed (apt-get install linux-perf)" >&2; exit 2; }
source "$(dirname "$0")/qg_instance.sh"
bench_begin spath
mock_started=0
if ! curl -fs -m1 "http://127.0.0.1:$SSE_PORT/health" >/dev/null; then
  "$root/bench/peers/mock-upstream.sh" start 18080 "$SSE_PORT" >/dev/null; mock_started=1
fi
start_qg spath "$QG_PORT" "http://127.0.0.1:$SSE_PORT/v1"
BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":32,"stream":true,"stream_options":{"include_usage":true}}'
BENCH_BODY=$BODY BENCH_RATE=$RATE CONNS=32 DURATION=6 node "$root/bench/peers/ttfb.js" \
  "http://127.0.0.1:$QG_PORT/v1/chat/completions" >"$work/ttfb.txt" 2>&1 &
driver=$!
sleep 2.5
perf sched record -o "$work/sched.data" -- sleep 1 >/dev/null 2>&1
wait "$driver" || true
perf sched timehist -i "$work/sched.data" -w 2>/dev/null >"$work/timehist.txt"
[ -n "${TIMEHIST_OUT:-}" ] && cp "$work/timehist.txt" "$TIMEHIST_OUT"
echo "client: $(tr '\n' ' ' <"$work/ttfb.txt")"
python3 "$(dirname "$0")/stream_path.py" "$work/timehist.txt" "$QG_PID_spath" "$driver" "$(cat "$PEERS_DIR/mock/sse.pid")"
echo "daemon threads in the recorded second (CPU ms, context switches):"
daemon_threads "$work/sched.data" "$QG_PID_spath"
[ "$mock_started" = 1 ] && "$root/bench/peers/mock-upstream.sh" stop >/dev/null || true
