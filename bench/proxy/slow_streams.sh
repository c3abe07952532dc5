#!/usr/bin/env bash
# bench/proxy/slow_streams.sh — N concurrent slow streams held through QuotaGuard.
#
# The slow provider is bench/peers/mock-sse.js (node, event-driven: one thread, a timer per
# stream, so 10,000 streams cost it ~100 MB and little CPU instead of 10,000 threads fighting
# QuotaGuard for the 2 cores): each stream is CHUNKS+1 SSE events DELAY_MS apart (default
# 31 events a second apart = 30 s), ending in `data: [DONE]`, without rate-limit headers (the
# quota of one mock account is not what is measured here). wrk keeps STREAMS connections
# (default 10000) each running one stream after another for DURATION seconds through
# QuotaGuard. Prints completed streams, errors, the most streams open at once (QuotaGuard's
# connections to the provider, sampled every 0.5 s), QuotaGuard's RSS and threads at rest and
# at most (and RSS per open stream), the provider's RSS. Targets (issue 17): zero errors, all
# STREAMS open at once, RSS <= 512 MB.
# QuotaGuard holds two descriptors a stream (client and provider sockets): the descriptor limit
# (`ulimit -Hn`) bounds the streams one process can hold; the script says so when STREAMS does
# not fit.
#   bench/proxy/slow_streams.sh
#   STREAMS=1000 DURATION=35 bench/proxy/slow_streams.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="$(realpath "${QUOTAGUARD_BIN:-$build/cli/quotaguard}")"
STREAMS=${STREAMS:-10000}; DURATION=${DURATION:-45}; CHUNKS=${CHUNKS:-30}; DELAY_MS=${DELAY_MS:-1000}
QG_PORT=${QG_PORT:-9002}
command -v wrk >/dev/null || { echo "bench: wrk not installed" >&2; exit 2; }
source "$(dirname "$0")/qg_instance.sh"
bench_begin streams

command -v node >/dev/null || { echo "bench: node not installed (bench/peers/setup.sh)" >&2; exit 2; }
# The slow provider: role + (CHUNKS-3) deltas + finish + usage + [DONE] = CHUNKS+1 events.
SSE_PORT=0 SSE_LIMITS=0 SSE_CHUNKS=$((CHUNKS - 3)) SSE_DELAY_MS=$DELAY_MS node "$root/bench/peers/mock-sse.js" >"$work/fake.log" 2>&1 &
fake_pid=$!; pids+=("$fake_pid")
for _ in $(seq 1 100); do grep -q "listening on" "$work/fake.log" && break; sleep 0.05; done
fport="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/fake.log")"
[ -n "$fport" ] || { echo "bench: slow provider did not start:" >&2; cat "$work/fake.log" >&2; exit 1; }
fd_limit=$(ulimit -n)
if [ $((2 * STREAMS + 32)) -gt "$fd_limit" ]; then
  echo "note: $STREAMS streams need ~$((2 * STREAMS + 32)) descriptors in QuotaGuard (client + provider socket each);" \
       "this machine allows $fd_limit (hard limit $(ulimit -Hn)): at most ~$(( (fd_limit - 32) / 2 )) can be open at once here"
fi
QG_MAX_CONNECTIONS=$((STREAMS + 64)) start_qg streams "$QG_PORT" "http://127.0.0.1:$fport/v1" \
  "proxy: {idle_timeout: 10s, first_byte_timeout: 10s}"

rss_at_rest_kb=$(awk '/VmRSS/ {print $2}' "/proc/$QG_PID_streams/status")
rssf="$work/rss"; : >"$rssf"; openf="$work/open"; : >"$openf"; thrf="$work/threads"; : >"$thrf"
frssf="$work/fake-rss"; : >"$frssf"
( while kill -0 "$QG_PID_streams" 2>/dev/null; do
    # one sample: QuotaGuard's RSS (kB) and the streams open at that instant, on one line
    o=$(ss -Htn state established "( dport = :$fport )" 2>/dev/null | wc -l || true)
    r=$(awk '/VmRSS/ {print $2}' "/proc/$QG_PID_streams/status" 2>/dev/null || true)
    echo "$r $o" >>"$rssf"; echo "$o" >>"$openf"
    awk '/Threads/ {print $2}' "/proc/$QG_PID_streams/status" >>"$thrf" 2>/dev/null || true
    awk '/VmRSS/ {print $2}' "/proc/$fake_pid/status" >>"$frssf" 2>/dev/null || true
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
max_rss_kb=$(awk '{print $1}' "$rssf" | sort -n | tail -1)
max_open=$(sort -n "$openf" | tail -1)
max_threads=$(sort -n "$thrf" | tail -1)
# RSS per open stream: at the sample with the most streams open, (RSS - RSS at rest) / open
per_stream_kb=$(sort -k2,2n -k1,1n "$rssf" | tail -1 | awk -v rest="$rss_at_rest_kb" '$2 > 0 {printf "%.1f", ($1 - rest) / $2}')
fake_rss_kb=$(sort -n "$frssf" | tail -1)
served=$(curl -s "http://127.0.0.1:$fport/_served")
echo "streams=$STREAMS duration=${DURATION}s stream_length=$((CHUNKS * DELAY_MS / 1000))s quotaguard_max_rss_mb=$((max_rss_kb / 1024))" \
     "rss_at_rest_mb=$((rss_at_rest_kb / 1024)) max_streams_open_at_once=$max_open max_threads=$max_threads" \
     "rss_per_open_stream_kib=$per_stream_kb provider_max_rss_mb=$((${fake_rss_kb:-0} / 1024))"
echo "targets: all $STREAMS open at once: $([ "${max_open:-0}" -ge "$STREAMS" ] && echo met || echo MISSED)," \
     "RSS <= 512 MB: $([ $((max_rss_kb / 1024)) -le 512 ] && echo met || echo MISSED)"
echo "slow provider: streams run to their end: $served"
grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || echo "errors: none reported by wrk"
echo "probe request during the run: HTTP $(cat "$work/probe.code" 2>/dev/null) $(head -c 300 "$work/probe.body" 2>/dev/null)"
grep -E " (warn|error) " "$work/streams.log" | sort | uniq -c | sort -rn | head -5 || true
