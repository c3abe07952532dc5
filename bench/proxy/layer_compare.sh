#!/usr/bin/env bash
# bench/proxy/layer_compare.sh — direct vs the proxy layer alone (proxy_layer_server: the
# QuotaGuard HTTP proxy code with a no-op backend, no quota core, no journal), interleaved.
# Separates what the HTTP proxy costs from what routing + reservation + the journal cost.
# proxy_layer_server serves the routes with the daemon's own listener (http/http_server.hpp),
# so with WITH_QG=1 the whole daemon (QUOTAGUARD_BIN, synchronous: full, as compare.sh starts
# it) runs in the same rounds too, and the layer/daemon difference is the quota core's cost.
#   cmake --build build --target proxy_layer_server && bench/proxy/layer_compare.sh
#   WITH_QG=1 QG_GLIBC_TUNABLES=glibc.malloc.tcache_max=256 SCENARIOS=max bench/proxy/layer_compare.sh
# Env: ROUNDS=3 DURATION=10 SCENARIOS="max r500 r2000 sr200" (see bench/peers), WITH_QG=0,
#      QUOTAGUARD_BIN (default build/cli/quotaguard), QG_PORT=9400 (and +1 for streams).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
server="$(realpath "${LAYER_BIN:-$build/bench/proxy/proxy_layer_server}")"
peers="${PEERS_SRC:-$root/bench/peers}"
export PEERS_DIR=${PEERS_DIR:-/tmp/peers}
ROUNDS=${ROUNDS:-3}; export DURATION=${DURATION:-10}
SCENARIOS=${SCENARIOS:-max r500 r2000 sr200}
JSON_PORT=${JSON_PORT:-18080}; SSE_PORT=${SSE_PORT:-18081}
work="$(mktemp -d /tmp/qg-layer-XXXXXX)"
pids=(); started_mock=0
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ $started_mock -eq 1 ]] && "$peers/mock-upstream.sh" stop >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
if ! curl -fs -m1 "http://127.0.0.1:$JSON_PORT/health" >/dev/null; then
  "$peers/mock-upstream.sh" start "$JSON_PORT" "$SSE_PORT" >/dev/null; started_mock=1; fi
start() {  # NAME UPSTREAM -> sets port, pid
  # QG_GLIBC_TUNABLES (e.g. the packaged glibc.malloc.tcache_max=256) for the layer as for the daemon
  (if [[ -n "${QG_GLIBC_TUNABLES+set}" ]]; then export GLIBC_TUNABLES=$QG_GLIBC_TUNABLES; fi
   exec "$server" "$2" 64 2>"$work/$1.log") &
  pid=$!; pids+=("$pid")
  for _ in $(seq 1 100); do grep -q listening "$work/$1.log" && break; sleep 0.05; done
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/$1.log")
}
start json "http://127.0.0.1:$JSON_PORT/v1"; jport=$port; jpid=$pid
start sse "http://127.0.0.1:$SSE_PORT/v1"; sport=$port; spid=$pid
targets="direct proxy-layer"
if [[ "${WITH_QG:-0}" == 1 ]]; then
  qg="$(realpath "${QUOTAGUARD_BIN:-$build/cli/quotaguard}")"
  QG_PORT=${QG_PORT:-9400}
  source "$(dirname "$0")/qg_instance.sh"
  start_qg json "$QG_PORT" "http://127.0.0.1:$JSON_PORT/v1"
  start_qg sse "$((QG_PORT + 1))" "http://127.0.0.1:$SSE_PORT/v1"
  targets="$targets quotaguard"
fi
printf '%-6s %-12s %9s %8s %8s %8s %8s %5s %7s %5s %6s\n' sc target rps p50_ms p99_ms p90_ms max_ms err rss_mb cpu% other%
for sc in $SCENARIOS; do
  for r in $(seq "$ROUNDS"); do
    rate=0; stream=0; s=$sc; up=$JSON_PORT; lp=$jport; lpid=$jpid
    case "$s" in s*) stream=1; s=${s#s}; up=$SSE_PORT; lp=$sport; lpid=$spid ;; esac
    case "$s" in r*) rate=${s#r} ;; esac
    for t in $targets; do
      if [[ $t == direct ]]; then
        line=$(RATE=$rate STREAM=$stream "$peers/bench.sh" "http://127.0.0.1:$up/v1" direct)
      elif [[ $t == proxy-layer ]]; then
        line=$(RATE=$rate STREAM=$stream RSS_PID=$lpid "$peers/bench.sh" "http://127.0.0.1:$lp/v1" proxy-layer)
      else
        qport=$QG_PORT qpid=$QG_PID_json
        if [[ $stream == 1 ]]; then qport=$((QG_PORT + 1)) qpid=$QG_PID_sse; fi
        line=$(RATE=$rate STREAM=$stream RSS_PID=$qpid "$peers/bench.sh" "http://127.0.0.1:$qport/v1" quotaguard)
      fi
      echo "$sc $line"
    done
  done
done
