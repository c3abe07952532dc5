#!/usr/bin/env bash
# bench/proxy/slow_streams.sh — N concurrent slow streams held through QuotaGuard.
#
# qg-fake-provider streams CHUNKS chunks DELAY_MS apart (default 30 x 1000 ms = 30 s per
# stream); wrk keeps STREAMS connections (default 10000) each running one stream after another
# for DURATION seconds through QuotaGuard. Prints completed streams, errors, the most streams
# open at once (QuotaGuard's connections to the provider, sampled every 0.5 s) and QuotaGuard's
# RSS and threads at rest and at most. Targets (issue 17): zero errors, all STREAMS open at
# once, RSS <= 512 MB.
#   bench/proxy/slow_streams.sh
#   STREAMS=1000 DURATION=35 bench/proxy/slow_streams.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="$(realpath "${QUOTAGUARD_BIN:-$build/cli/quotaguard}")"
fake="${FAKE_PROVIDER_BIN:-$build/tests/fakes/qg-fake-provider}"
STREAMS=${STREAMS:-10000}; DURATION=${DURATION:-45}; CHUNKS=${CHUNKS:-30}; DELAY_MS=${DELAY_MS:-1000}
QG_PORT=${QG_PORT:-9002}
command -v wrk >/dev/null || { echo "bench: wrk not installed" >&2; exit 2; }
source "$(dirname "$0")/qg_instance.sh"
bench_begin streams

start_fake --chunks "$CHUNKS" --chunk-delay-ms "$DELAY_MS" --threads $((STREAMS + 64))
QG_MAX_CONNECTIONS=$((STREAMS + 64)) start_qg streams "$QG_PORT" "http://127.0.0.1:$fport/v1" \
  "proxy: {idle_timeout: 10s, first_byte_timeout: 10s}"

rss_at_rest_kb=$(awk '/VmRSS/ {print $2}' "/proc/$QG_PID_streams/status")
rssf="$work/rss"; : >"$rssf"; openf="$work/open"; : >"$openf"; thrf="$work/threads"; : >"$thrf"
( while kill -0 "$QG_PID_streams" 2>/dev/null; do
    awk '/VmRSS/ {print $2}' "/proc/$QG_PID_streams/status" >>"$rssf" 2>/dev/null || true
    awk '/Threads/ {print $2}' "/proc/$QG_PID_streams/status" >>"$thrf" 2>/dev/null || true
    ss -Htn state established "( dport = :$fport )" 2>/dev/null | wc -l >>"$openf" || true
    sleep 0.5; done ) &
sampler=$!
body='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"slow stream please"}]}'
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
( sleep 5; curl -s -m 2 -o "$work/probe.body" -w '%{http_code}' "http://127.0.0.1:$QG_PORT/v1/chat/completions" \
    -d "$body" >"$work/probe.code" 2>/dev/null || true ) &
wrk -t2 -c"$STREAMS" -d"${DURATION}s" --timeout 60s -s "$work/post.lua" "http://127.0.0.1:$QG_PORT/v1/chat/completions" \
  | tee "$work/wrk.txt"
kill "$sampler" 2>/dev/null || true
max_rss_kb=$(sort -n "$rssf" | tail -1)
max_open=$(sort -n "$openf" | tail -1)
max_threads=$(sort -n "$thrf" | tail -1)
served=$(curl -s "http://127.0.0.1:$fport/_served")
echo "streams=$STREAMS duration=${DURATION}s stream_length=$((CHUNKS * DELAY_MS / 1000))s quotaguard_max_rss_mb=$((max_rss_kb / 1024))" \
     "rss_at_rest_mb=$((rss_at_rest_kb / 1024)) max_streams_open_at_once=$max_open max_threads=$max_threads"
echo "targets: all $STREAMS open at once: $([ "${max_open:-0}" -ge "$STREAMS" ] && echo met || echo MISSED)," \
     "RSS <= 512 MB: $([ $((max_rss_kb / 1024)) -le 512 ] && echo met || echo MISSED)"
echo "fake provider served: $served"
grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || echo "errors: none reported by wrk"
echo "probe request during the run: HTTP $(cat "$work/probe.code" 2>/dev/null) $(head -c 300 "$work/probe.body" 2>/dev/null)"
grep -E " (warn|error) " "$work/streams.log" | sort | uniq -c | sort -rn | head -5 || true
