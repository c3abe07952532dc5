#!/usr/bin/env bash
# bench/proxy/instructions.sh — instructions per proxied request (callgrind): a before/after
# figure for one change that other load on the machine does not move (wall-clock benchmarks do).
#
# Starts one QuotaGuard (synchronous: full, log level warn) under `valgrind --tool=callgrind` in
# front of the peers' nginx mock (:18080, started if not running), sends WARMUP requests, zeroes
# the counters, sends REQUESTS chat completions over CONNS keep-alive connections (hey), dumps
# the counters and prints the daemon's instructions per request with the TOP functions by self
# cost (callgrind_annotate, inclusive of nothing), after the HTTP threads' share and the journal
# events per request. Only the daemon is counted, all its threads.
# The profile stays in $OUT (default /tmp/qg-callgrind-<time>.out) for callgrind_annotate.
#   bench/proxy/instructions.sh
#   REQUESTS=2000 CONNS=8 QUOTAGUARD_BIN=/path/to/older/quotaguard bench/proxy/instructions.sh
# Needs valgrind and hey (bench/peers/setup.sh installs hey).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="$(realpath "${QUOTAGUARD_BIN:-$build/cli/quotaguard}")"
REQUESTS=${REQUESTS:-2000}; CONNS=${CONNS:-8}; WARMUP=${WARMUP:-200}; TOP=${TOP:-25}
# A free port unless told: the listener sets SO_REUSEPORT, so two runs at once on one port would
# share hey's connections between their daemons, and each count only part of its requests.
QG_PORT=${QG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
JSON_PORT=${JSON_PORT:-18080}
OUT=${OUT:-/tmp/qg-callgrind-$(date -u +%Y%m%d-%H%M%S).out}
for tool in valgrind callgrind_control callgrind_annotate hey; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not installed" >&2; exit 2; }
done
source "$(dirname "$0")/qg_instance.sh"
bench_begin callgrind
mock_started=0
if ! curl -fs -m1 "http://127.0.0.1:$JSON_PORT/health" >/dev/null; then
  "$root/bench/peers/mock-upstream.sh" start "$JSON_PORT" >/dev/null; mock_started=1
fi
# start_qg runs "$qg serve ...": here $qg is a wrapper that runs the daemon under callgrind.
real_qg=$qg
qg="$work/qg-under-callgrind"
printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s --dump-line=no --separate-threads=no %s "$@"\n' \
  "$work/callgrind.%p" "$real_qg" >"$qg"
chmod +x "$qg"
ready_tries=${READY_TRIES:-1200}
start_qg cg "$QG_PORT" "http://127.0.0.1:$JSON_PORT/v1" || true
for _ in $(seq 1 "$ready_tries"); do curl -fsS "http://127.0.0.1:$QG_PORT/ready" >/dev/null 2>&1 && break; sleep 0.1; done
pid=$QG_PID_cg
body='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":32}'
drive() {
  hey -n "$1" -c "$CONNS" -disable-compression -m POST -T application/json -d "$body" -t 60 \
    "http://127.0.0.1:$QG_PORT/v1/chat/completions" >"$work/hey.txt"
  grep -q "\[200\]	$1 responses" "$work/hey.txt" || { echo "bench: not every request got a 200:" >&2; cat "$work/hey.txt" >&2; exit 1; }
}
drive "$WARMUP"
sleep 1
callgrind_control -z "$pid" >/dev/null
drive "$REQUESTS"
sleep 1  # the lazy commits of the last requests (20 ms) belong to them
callgrind_control -d "$pid" >/dev/null
dump=$(ls "$work"/callgrind.*.1 2>/dev/null | head -1)  # the first dump asked for: callgrind.<pid>.1
[[ -n "$dump" ]] || { echo "bench: no callgrind dump" >&2; ls "$work" >&2; exit 1; }
cp "$dump" "$OUT"
total=$(awk '/^summary:/ {print $2}' "$OUT")
echo "quotaguard $(basename "$real_qg") ($(realpath "$real_qg")): $REQUESTS requests over $CONNS connections"
awk -v t="$total" -v n="$REQUESTS" 'BEGIN {printf "instructions per request: %.0f (total %d)\n", t / n, t}'
# The HTTP threads' share (the ElasticThreadPool workers: httplib's server and the route, which
# do not move with the journal's events), and the journal events per request (EventStore::insert
# calls), which move the rest by ~20k an event with the run's speed (docs/PERFORMANCE.md, ninth pass).
callgrind_annotate --inclusive=yes --threshold=100 "$OUT" 2>/dev/null |
  awk -v n="$REQUESTS" '!done && /ElasticThreadPool::spawn\(\)::\{lambda\(\)#1\}> > >::_M_run\(\)/ {
    gsub(",", "", $1); printf "HTTP threads per request: %.0f\n", $1 / n; done = 1 }'  # reads on: no SIGPIPE
callgrind_annotate --tree=caller --threshold=100 "$OUT" 2>/dev/null |
  awk -v n="$REQUESTS" 'done { next }
    /^ *[0-9,]+ .*< / { if (match($0, /\(([0-9,]+)x\)/)) { c = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", c); calls += c } next }
    /\* +\?\?\?:qg::EventStore::insert\(/ { printf "journal events per request: %.2f\n", calls / n; done = 1; next }
    { calls = 0 }'
callgrind_annotate --inclusive=no --threshold=100 "$OUT" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n "1,$((TOP + 2))p"
echo "profile: $OUT"
[ "$mock_started" = 1 ] && "$root/bench/peers/mock-upstream.sh" stop >/dev/null || true
