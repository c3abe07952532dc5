#!/usr/bin/env bash
# bench/proxy/compare.sh — direct vs Portkey vs QuotaGuard, side by side in one run.
#
# Uses the peers harness in bench/peers (PEERS_SRC): its nginx mock upstream
# (:18080 JSON, :18081 SSE), Portkey, wrk with fixed-rate pacing. Starts two QuotaGuard
# instances with `storage.synchronous: full` (QG_SYNCHRONOUS=normal: the default): :9000
# forwarding to the JSON mock, :9001 to the SSE mock (streamed chat and Responses, an openai
# account) and :9002 to the SSE mock with an anthropic account (streamed /v1/messages), then
# runs the peers' compare.sh with QuotaGuard as the third target. Env is passed through
# (ROUNDS, DURATION, SCENARIOS, QUIET_WAIT, ...).
#   bench/proxy/compare.sh                      # max r500 r2000 sr200 tr200 sr200-messages sr200-responses, 3 rounds
#       # (tr200: the sr200 streams timed to their first byte, bench/peers/ttfb.js)
#   ROUNDS=1 DURATION=5 bench/proxy/compare.sh  # quick look
#   BEFORE_BIN=/path/to/older/quotaguard bench/proxy/compare.sh
#       # also runs that build (label quotaguard-before, ports QG_PORT+10..) in the same run:
#       # a same-run before/after table ("quotaguard vs quotaguard-before")
# `make bench-proxy` runs bench/peers/setup.sh (nginx, wrk, Portkey) and then this script.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="$(realpath "${QUOTAGUARD_BIN:-$build/cli/quotaguard}")"
peers="${PEERS_SRC:-$root/bench/peers}"
[[ -x "$qg" ]] || { echo "bench: $qg not found (make build)" >&2; exit 2; }
[[ -x "$peers/compare.sh" ]] || { echo "bench: peers harness not found at $peers" >&2; exit 2; }
JSON_PORT=${JSON_PORT:-18080}; SSE_PORT=${SSE_PORT:-18081}
QG_PORT=${QG_PORT:-9000}; QG_STREAM_PORT=${QG_STREAM_PORT:-9001}; QG_MESSAGES_PORT=${QG_MESSAGES_PORT:-9002}

work="$(mktemp -d /tmp/qg-bench-proxy-XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n "${KEEP:-}" ]] && echo "bench: kept $work" || rm -rf "$work"
}
trap cleanup EXIT
source "$(dirname "$0")/qg_instance.sh"
export SCENARIOS=${SCENARIOS:-max r500 r2000 sr200 tr200 sr200-messages sr200-responses}

# start_set PREFIX PORT_OFFSET: the three instances of one build ($qg)
start_set() {
  start_qg "${1}json" "$((QG_PORT + $2))" "http://127.0.0.1:$JSON_PORT/v1"
  start_qg "${1}sse" "$((QG_STREAM_PORT + $2))" "http://127.0.0.1:$SSE_PORT/v1"   # chat and Responses streams
  start_qg "${1}msg" "$((QG_MESSAGES_PORT + $2))" "http://127.0.0.1:$SSE_PORT/v1" "" anthropic   # Anthropic Messages
}
start_set "" 0
if [[ -n "${BEFORE_BIN:-}" ]]; then
  after_bin=$qg; qg="$(realpath "$BEFORE_BIN")"; start_set before_ 10; qg=$after_bin
  export FOURTH_URL="http://127.0.0.1:$((QG_PORT + 10))/v1" FOURTH_LABEL=quotaguard-before \
    FOURTH_STREAM_URL="http://127.0.0.1:$((QG_STREAM_PORT + 10))/v1" \
    FOURTH_MESSAGES_URL="http://127.0.0.1:$((QG_MESSAGES_PORT + 10))/v1" FOURTH_PID="$QG_PID_before_json"
  echo "# quotaguard = $qg; quotaguard-before = $(realpath "$BEFORE_BIN")"
fi

THIRD_PID="$QG_PID_json" THIRD_STREAM_URL="http://127.0.0.1:$QG_STREAM_PORT/v1" \
  THIRD_MESSAGES_URL="http://127.0.0.1:$QG_MESSAGES_PORT/v1" \
  "$peers/compare.sh" "http://127.0.0.1:$QG_PORT/v1" quotaguard
echo "quotaguard journal: $(sqlite3 "$work/json.db" 'select count(*) from events' 2>/dev/null || echo '?') events written (synchronous: ${QG_SYNCHRONOUS:-full})"
