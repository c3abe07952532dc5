#!/usr/bin/env bash
# compare.sh [THIRD_URL [THIRD_LABEL]]
#
# One run, targets interleaved round by round (order rotated each round):
#   direct   -> mock upstream itself (nginx :JSON_PORT, node :SSE_PORT for stream)
#   nginx    -> nginx as a plain reverse proxy (nginx-proxy.sh, :NGX_PORT / :NGX_SSE_PORT):
#               no accounting, the upper reference for what a proxy can do here
#   portkey  -> Portkey gateway :PORTKEY_PORT forwarding to the same mock
#   THIRD    -> optional, e.g. QuotaGuard; it must already be running and be
#               configured to forward to http://127.0.0.1:JSON_PORT/v1.
# Prints per-scenario medians over ROUNDS, then gateway-minus-direct overhead
# and, with a third target, third/portkey ratios. Raw lines are saved under
# $PEERS_DIR/results/.
#
# Env: ROUNDS=3 DURATION=10 CONNS=32 THREADS=1
#      SCENARIOS="max r500 r2000 sr200"  (max = closed loop, rN = N req/s,
#                 s... = same with "stream":true against the SSE mock (wrk: latency of
#                 the whole stream), t... = the same streams timed to their first byte
#                 (ttfb.js: e.g. tr200 = stream TTFB at 200/s); a suffix
#                 -messages / -responses sends that dialect instead of chat,
#                 e.g. sr200-messages: direct, nginx and THIRD_MESSAGES_URL /
#                 THIRD_STREAM_URL only, Portkey is skipped)
#      THIRD_MESSAGES_URL= third gateway instance serving /v1/messages from the SSE mock
#      JSON_PORT=18080 SSE_PORT=18081 PORTKEY_PORT=8787
#      THIRD_HEADERS='Name: v|Name2: v'  extra request headers for THIRD
#      THIRD_PID=<pid>     sample RSS/CPU of the third gateway
#      THIRD_STREAM_URL=   third gateway instance whose upstream is the SSE
#                          mock; without it THIRD is skipped in s* scenarios
#      FOURTH_URL= FOURTH_LABEL=fourth FOURTH_STREAM_URL= FOURTH_MESSAGES_URL= FOURTH_PID=
#                          a fourth gateway, same rules as THIRD (e.g. an older build of it:
#                          a same-run before/after); adds a "THIRD vs FOURTH" ratio table
#      QUIET_WAIT=0        see bench.sh (wait for an idle machine per run)
#      NGX_PORT=18090 NGX_SSE_PORT=18091
#      RES_DIR=$PEERS_DIR/results   where the raw lines and the summary go
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export PEERS_DIR=${PEERS_DIR:-/tmp/peers}
THIRD_URL=${1:-}; THIRD_LABEL=${2:-third}
ROUNDS=${ROUNDS:-3}; export DURATION=${DURATION:-10} CONNS=${CONNS:-32} THREADS=${THREADS:-1}
SCENARIOS=${SCENARIOS:-max r500 r2000 sr200}
JSON_PORT=${JSON_PORT:-18080}; SSE_PORT=${SSE_PORT:-18081}; PK_PORT=${PORTKEY_PORT:-8787}
RES="${RES_DIR:-$PEERS_DIR/results}"; mkdir -p "$RES"; RAW="$RES/compare-$(date +%Y%m%d-%H%M%S).txt"

# Start what is not running; stop at exit only what this script started.
STARTED=()
cleanup() { for s in "${STARTED[@]}"; do "$HERE/$s" stop >/dev/null || true; done; }
trap cleanup EXIT
if ! curl -fs -m1 "http://127.0.0.1:$JSON_PORT/health" >/dev/null || ! curl -fs -m1 "http://127.0.0.1:$SSE_PORT/health" >/dev/null; then
  "$HERE/mock-upstream.sh" start "$JSON_PORT" "$SSE_PORT" >/dev/null; STARTED+=(mock-upstream.sh); fi
if ! curl -fs -m1 "http://127.0.0.1:$PK_PORT/" >/dev/null; then
  "$HERE/portkey.sh" start "$PK_PORT" >/dev/null; STARTED+=(portkey.sh); fi
PK_PID=$(cat "$PEERS_DIR/portkey/portkey.pid" 2>/dev/null || true)
NGX_PORT=${NGX_PORT:-18090}; NGX_SSE_PORT=${NGX_SSE_PORT:-18091}
if ! curl -fs -m1 "http://127.0.0.1:$NGX_PORT/health" >/dev/null; then
  "$HERE/nginx-proxy.sh" start "$NGX_PORT" "$NGX_SSE_PORT" "127.0.0.1:$JSON_PORT" "127.0.0.1:$SSE_PORT" >/dev/null
  STARTED+=(nginx-proxy.sh); fi
NGX_PID=$(pgrep -P "$(cat "$PEERS_DIR/nginx-proxy/nginx.pid" 2>/dev/null || echo 0)" | head -1 || true)

PK_H=('x-portkey-provider: openai' 'Authorization: Bearer sk-mock')
IFS='|' read -r -a TH_H <<< "${THIRD_HEADERS:-}"
FOURTH_LABEL=${FOURTH_LABEL:-fourth}
# The gateways under test (THIRD, FOURTH): label -> URL for a kind of request ("" = none).
gw_url() {  # gw_url <label> plain|stream|messages
  local p=THIRD; [ "$1" = "$FOURTH_LABEL" ] && [ -n "${FOURTH_URL:-}" ] && p=FOURTH
  case "$2" in plain) eval "echo \${${p}_URL:-}" ;; stream) eval "echo \${${p}_STREAM_URL:-}" ;;
               messages) eval "echo \${${p}_MESSAGES_URL:-}" ;; pid) eval "echo \${${p}_PID:-}" ;; esac
}

# run_target <target> <scenario> : one bench.sh line for that pair
run_target() {
  local t=$1 sc=$2 rate=0 stream=0 up=$JSON_PORT api=openai
  case "$sc" in *-messages) api=anthropic; sc=${sc%-messages} ;; *-responses) api=responses; sc=${sc%-responses} ;; esac
  export API=$api
  local ttfb=0
  case "$sc" in s*) stream=1; up=$SSE_PORT; sc=${sc#s} ;; t*) stream=1; ttfb=1; up=$SSE_PORT; sc=${sc#t} ;; esac
  case "$sc" in r*) rate=${sc#r} ;; esac
  export RATE=$rate STREAM=$stream TTFB=$ttfb
  case "$t" in
    direct)  local mp   # the mock's own process: nginx worker, or node for SSE
             if [ "$stream" = 1 ]; then mp=$(cat "$PEERS_DIR/mock/sse.pid" 2>/dev/null || true)
             else mp=$(pgrep -P "$(cat "$PEERS_DIR/mock/nginx.pid" 2>/dev/null || echo 0)" | head -1 || true); fi
             RSS_PID=$mp "$HERE/bench.sh" "http://127.0.0.1:$up/v1" direct ;;
    portkey) RSS_PID=$PK_PID "$HERE/bench.sh" "http://127.0.0.1:$PK_PORT/v1" portkey \
               "${PK_H[@]}" "x-portkey-custom-host: http://127.0.0.1:$up/v1" ;;
    nginx)   local np=$NGX_PORT; [ "$stream" = 1 ] && np=$NGX_SSE_PORT
             RSS_PID=$NGX_PID "$HERE/bench.sh" "http://127.0.0.1:$np/v1" nginx ;;
    *) local u; u=$(gw_url "$t" plain); [ "$stream" = 1 ] && u=$(gw_url "$t" stream)
       [ "$api" = anthropic ] && u=$(gw_url "$t" messages)
       RSS_PID=$(gw_url "$t" pid) "$HERE/bench.sh" "$u" "$t" "${TH_H[@]}" ;;
  esac
}

TARGETS=(direct nginx portkey)
[ -n "$THIRD_URL" ] && TARGETS+=("$THIRD_LABEL")
[ -n "${FOURTH_URL:-}" ] && TARGETS+=("$FOURTH_LABEL")
GATEWAYS=("${TARGETS[@]:3}")
echo "# $(date -u +%FT%TZ) $(nproc) cpus, node $(node -v), $(nginx -v 2>&1 | cut -d/ -f2), wrk -t$THREADS -c$CONNS ${DURATION}s x $ROUNDS rounds" | tee "$RAW"

# Warm-up (JIT, connection pools): 3 s closed loop per target, not recorded.
for t in "${TARGETS[@]}"; do DURATION=3 run_target "$t" max >/dev/null || true; done

n=${#TARGETS[@]}
for sc in $SCENARIOS; do
  for r in $(seq "$ROUNDS"); do
    for i in $(seq 0 $((n - 1))); do
      t=${TARGETS[$(( (i + r) % n ))]}              # rotate start each round
      if [ "${sc#s}" != "$sc" ] || [ "${sc#t}" != "$sc" ]; then   # streaming: skip targets without an SSE path
        [ "${t}" != direct ] && [ "$t" != nginx ] && [ "$t" != portkey ] && [ -z "$(gw_url "$t" stream)" ] && continue
      fi
      case "$sc" in *-messages|*-responses)   # other dialects: no Portkey (its routes differ)
        [ "$t" = portkey ] && continue
        [ "$t" != direct ] && [ "$t" != nginx ] && [ "${sc%-messages}" != "$sc" ] && [ -z "$(gw_url "$t" messages)" ] && continue ;;
      esac
      line=$(run_target "$t" "$sc") || { echo "FAILED: $t $sc" >&2; continue; }
      echo "$sc $r $line" | tee -a "$RAW" >&2
    done
  done
done

# ---- aggregate: median per (scenario, target) of each column ----
# raw: sc round label rps p50 p99 p90 max err rss cpu other
med() { sort -n | awk '{a[NR]=$1} END{if(!NR||a[1]=="-"){print "-"} else if(NR%2){print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
col() { awk -v s="$1" -v t="$2" -v c="$3" '$1==s && $3==t {print $c}' "$RAW" | med; }
echo
# cpu_ms/req = gateway CPU time per request (cpu% * 10 / rps): the least
# noise-sensitive efficiency figure on a shared or small machine.
printf '%-15s %-17s %9s %8s %8s %8s %8s %5s %7s %5s %6s %10s\n' scenario target rps p50_ms p90_ms p99_ms max_ms err rss_mb cpu% other% cpu_ms/req
AGG="$RAW.agg"; : > "$AGG"
for sc in $SCENARIOS; do for t in "${TARGETS[@]}"; do
  [ -n "$(awk -v s="$sc" -v t="$t" '$1==s && $3==t' "$RAW")" ] || continue
  mx=$(awk -v s="$sc" -v t="$t" '$1==s && $3==t {print $8}' "$RAW" | sort -n | tail -1)
  er=$(awk -v s="$sc" -v t="$t" '$1==s && $3==t {e+=$9} END{print e+0}' "$RAW")
  row="$sc $t $(col "$sc" "$t" 4) $(col "$sc" "$t" 5) $(col "$sc" "$t" 7) $(col "$sc" "$t" 6) $mx $er $(col "$sc" "$t" 10) $(col "$sc" "$t" 11) $(col "$sc" "$t" 12)"
  echo "$row" >> "$AGG"
  set -- $row; cms=$(awk -v c="${10}" -v r="$3" 'BEGIN{ if (c=="-"||r<=0) print "-"; else printf "%.3f", c*10/r }')
  printf '%-15s %-17s %9s %8s %8s %8s %8s %5s %7s %5s %6s %10s\n' $row "$cms"
done; done

echo; echo "overhead vs direct (medians): +ms = gateway - direct; x = gateway / direct"
printf '%-15s %-17s %9s %9s %9s %9s %8s\n' scenario target rps_x +p50_ms +p90_ms +p99_ms p99_x
awk 'NR==FNR { if ($2=="direct") { r[$1]=$3; a[$1]=$4; b[$1]=$5; c[$1]=$6 } next }
     $2!="direct" && ($1 in r) { printf "%-15s %-17s %9.3f %9.3f %9.3f %9.3f %8.1f\n", $1, $2,
       $3/r[$1], $4-a[$1], $5-b[$1], $6-c[$1], (c[$1]>0 ? $6/c[$1] : 0) }' "$AGG" "$AGG"
# Other dialects against chat, same run: added latency (gateway - direct) of sX-messages and
# sX-responses over that of sX; x <= 1 means the dialect costs no more than chat.
echo; echo "dialect streams vs chat stream (same run): added p50/p99 over direct, and dialect/chat ratio"
awk 'NR==FNR { if ($2=="direct") { a[$1]=$4; c[$1]=$6 } next }
     $2!="direct" && ($1 in a) { add50[$1" "$2]=$4-a[$1]; add99[$1" "$2]=$6-c[$1]; if (index($1, "-")) dia[$1" "$2]=1 }
     END { for (k in dia) { split(k, p, " "); base=p[1]; sub(/-.*/, "", base); b=base" "p[2]
             if (!(b in add50)) continue
             printf "%-18s %-10s +p50 %7.3f ms (chat %7.3f, x %.2f)  +p99 %7.3f ms (chat %7.3f, x %.2f)\n", p[1], p[2],
               add50[k], add50[b], (add50[b] != 0 ? add50[k]/add50[b] : 0), add99[k], add99[b], (add99[b] != 0 ? add99[k]/add99[b] : 0) } }' "$AGG" "$AGG" | sort
pairs=()
for g in "${GATEWAYS[@]}"; do pairs+=("$g portkey" "$g nginx"); done
[ ${#GATEWAYS[@]} -ge 2 ] && pairs+=("${GATEWAYS[0]} ${GATEWAYS[1]}")
for pair in "${pairs[@]}"; do
  set -- $pair
  echo; echo "$1 vs $2 (same run): rps_x >1 and p50_x/p99_x <1 mean $1 is better"
  awk -v T="$1" -v R="$2" 'NR==FNR { if ($2==R) { r[$1]=$3; a[$1]=$4; c[$1]=$6 } next }
     $2==T && ($1 in r) { printf "%-15s rps_x %.3f  p50_x %.2f  p99_x %.2f\n", $1, $3/r[$1], $4/a[$1], $6/c[$1] }' "$AGG" "$AGG"
done
awk '!/^#/ && $12!="-" && $12+0>30 {n++} END{if(n) printf "\nWARNING: %d run(s) saw >30%% CPU used by other processes (other%%): the machine was shared, figures are noisy.\n", n}' "$RAW"
echo "raw: $RAW"
