#!/usr/bin/env bash
# bench/proxy/syscalls.sh — the kernel's share of a proxied request: system calls by kind,
# context switches, user and system CPU per request, and req/s, for this build and (with
# BEFORE_BIN=) an older one in the same run, rounds alternating.
#
# Counts per request (`perf stat` on the daemon's threads while wrk drives it) move far less
# with foreign load than the wall clock, so a change to the syscalls or wake-ups of the request
# path shows as before -> after even on a shared 2-core machine; req/s is printed too, but is
# as noisy as compare.sh's (±10–15 % by round here).
#   bench/proxy/syscalls.sh                                     # this build, max load, 1 round
#   BEFORE_BIN=/path/to/older/quotaguard ROUNDS=3 bench/proxy/syscalls.sh   # same run, both
#   RATE=500 bench/proxy/syscalls.sh                            # a fixed rate instead of max
#   PER_THREAD=1 bench/proxy/syscalls.sh                        # also by kind of daemon thread
# Env: QUOTAGUARD_BIN (default build/cli/quotaguard), BEFORE_BIN, ROUNDS=1, DURATION=10 (s),
#      CONNS=32, THREADS=2 (wrk -t), RATE=0 (req/s; 0 = as fast as possible), PER_THREAD=0,
#      JSON_PORT=18080 (the nginx mock, bench/peers/mock-upstream.sh, started if not running).
# Needs perf (tracepoints syscalls:sys_enter_*: run as root or with perf_event_paranoid <= 1).
# Output: one line per build and round, then the medians and after/before ratios.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="$(realpath "${QUOTAGUARD_BIN:-$build/cli/quotaguard}")"
[[ -x "$qg" ]] || { echo "bench: $qg not found (make build)" >&2; exit 2; }
command -v perf >/dev/null || { echo "bench: needs perf" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench: needs wrk (bench/peers/setup.sh)" >&2; exit 2; }
ROUNDS=${ROUNDS:-1}; DURATION=${DURATION:-10}; CONNS=${CONNS:-32}; THREADS=${THREADS:-2}
RATE=${RATE:-0}; JSON_PORT=${JSON_PORT:-18080}
source "$(dirname "$0")/qg_instance.sh"
bench_begin syscalls

# The nginx JSON mock (compare.sh's), left running if it already was.
if ! curl -fsS -o /dev/null -X POST -d '{}' "http://127.0.0.1:$JSON_PORT/v1/chat/completions" 2>/dev/null; then
  "$root/bench/peers/mock-upstream.sh" start "$JSON_PORT" >/dev/null
  trap '"$root/bench/peers/mock-upstream.sh" stop >/dev/null 2>&1 || true; bench_cleanup' EXIT
fi

labels=(after); bins=("$qg")
start_qg after 9300 "http://127.0.0.1:$JSON_PORT/v1"
if [[ -n "${BEFORE_BIN:-}" ]]; then
  after_bin=$qg; qg="$(realpath "$BEFORE_BIN")"; start_qg before 9310 "http://127.0.0.1:$JSON_PORT/v1"; qg=$after_bin
  labels+=(before); bins+=("$(realpath "$BEFORE_BIN")")
fi

# The kinds counted one by one; "other" is the rest of raw_syscalls:sys_enter.
kinds=(futex poll ppoll epoll_wait recvfrom sendto read write pwrite64 pread64 fcntl fdatasync fsync
       nanosleep clock_nanosleep sched_yield madvise mmap munmap brk mprotect getrandom close)
events="task-clock,context-switches,cpu-migrations,raw_syscalls:sys_enter"
for k in "${kinds[@]}"; do events+=",syscalls:sys_enter_$k"; done

body='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":32}'
drive() {  # drive PORT SECONDS: wrk against the daemon, the WRKRESULT line (bench/peers/bench.lua)
  BENCH_BODY=$body BENCH_RATE=$RATE BENCH_THREADS=$THREADS \
    wrk -t"$THREADS" -c"$CONNS" -d"${2}s" --timeout 5s -s "$root/bench/peers/bench.lua" \
    -H 'Authorization: Bearer x' "http://127.0.0.1:$1/v1/chat/completions" | grep '^WRKRESULT'
}
port_of() { [[ $1 == after ]] && echo 9300 || echo 9310; }
pid_of() { eval "echo \$QG_PID_$1"; }


results="$work/results"; : > "$results"
one_round() {  # one_round LABEL ROUND
  local label=$1 r=$2 port pid u0 s0 u1 s1 line
  port=$(port_of "$label"); pid=$(pid_of "$label")
  drive "$port" 2 >/dev/null   # warm-up: the connections' threads exist before perf attaches
  read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  local per=(); [[ ${PER_THREAD:-0} == 1 ]] && per=(--per-thread)
  perf stat "${per[@]}" -x, -e "$events" -p "$pid" -o "$work/perf.$label.$r" &
  local perf_pid=$!
  sleep 0.3   # attached
  drive "$port" "$DURATION" > "$work/wrk.$label.$r"
  kill -INT "$perf_pid"; wait "$perf_pid" || true
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  # WRKRESULT requests secs rps p50 p90 p99 max errors
  read -r _ reqs _ rps _ _ _ _ errs < "$work/wrk.$label.$r"
  line=$(awk -F, -v label="$label" -v r="$r" -v reqs="$reqs" -v rps="$rps" -v errs="$errs" \
             -v ut=$((u1 - u0)) -v st=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" -v per="${PER_THREAD:-0}" '
    /^#/ || NF < 3 { next }
    { if (per == 1) { ev = $4; v = $2 } else { ev = $3; v = $1 } }
    v ~ /not/ { next }
    { gsub(/^syscalls:sys_enter_/, "", ev); c[ev] += v }
    END {
      printf "%s %d %.0f %d %d %.4f %.4f %.4f %.2f %.2f", label, r, rps, reqs, errs,
        (ut + st) * 1000 / hz / reqs, ut * 1000 / hz / reqs, st * 1000 / hz / reqs,
        c["context-switches"] / reqs, c["raw_syscalls:sys_enter"] / reqs
      listed = 0
      n = split("'"${kinds[*]}"'", k, " ")
      for (i = 1; i <= n; i++) { printf " %s=%.3f", k[i], c[k[i]] / reqs; listed += c[k[i]] }
      printf " other=%.3f\n", (c["raw_syscalls:sys_enter"] - listed) / reqs
    }' "$work/perf.$label.$r")
  echo "$line" | tee -a "$results"
  # By kind of thread (CAF 0.17: scheduler workers inherit "caf.multiplexer", detached actors
  # such as the journal are "caf.actor", timers "caf.clock"; httplib's connection threads keep
  # the binary's name, and so does the WAL checkpointer: its pwrite64/pread64/fdatasync show
  # there): calls and switches per request.
  if [[ ${PER_THREAD:-0} == 1 ]]; then
    awk -F, -v reqs="$reqs" '
      /^#/ || NF < 4 { next }
      { t = $1; sub(/-[0-9]+$/, "", t); v = $2; ev = $4 }
      v ~ /not/ { next }
      t ~ /^caf\.multiplexer/ { t = "scheduler" } t ~ /^caf\.actor/ { t = "journal" }
      t ~ /^caf\.clock/ { t = "timers" } t !~ /^(scheduler|journal|timers)$/ { t = "http (" t ")" }
      { gsub(/^syscalls:sys_enter_/, "", ev) }
      ev == "context-switches" { cs[t] += v }
      ev == "raw_syscalls:sys_enter" { all[t] += v }
      ev != "task-clock" && ev != "context-switches" && ev != "cpu-migrations" && ev != "raw_syscalls:sys_enter" && v > 0 { k[t, ev] += v; kinds[ev] = 1; ts[t] = 1 }
      END {
        for (t in ts) {
          printf "    %-12s switches %.2f syscalls %.2f:", t, cs[t] / reqs, all[t] / reqs
          for (e in kinds) if (k[t, e] / reqs >= 0.01) printf " %s=%.2f", e, k[t, e] / reqs
          printf "\n"
        }
      }' "$work/perf.$label.$r" | sort
  fi
}

echo "# $(date -u +%FT%TZ) $(nproc) cpus; wrk -t$THREADS -c$CONNS ${DURATION}s, rate ${RATE:-0} (0 = max), $ROUNDS round(s)"
for i in "${!labels[@]}"; do echo "# ${labels[$i]} = ${bins[$i]}"; done
echo "# label round req/s requests errors cpu_ms/req user_ms/req sys_ms/req switches/req syscalls/req <kind>=calls/req ..."
for r in $(seq "$ROUNDS"); do
  order=("${labels[@]}"); (( r % 2 == 0 )) && order=($(printf '%s\n' "${labels[@]}" | tac))  # alternate who goes first
  for label in "${order[@]}"; do one_round "$label" "$r"; done
done

# Medians per build, and after/before for each column.
echo
echo "# medians over rounds (label req/s cpu_ms/req user sys switches/req syscalls/req and the kinds)"
awk '
  function med(arr, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
                                     return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
  { l = $1; n[l]++; labels[l] = 1
    for (f = 3; f <= NF; f++) { v = $f; name = f; if (v ~ /=/) { split(v, kv, "="); name = kv[1]; v = kv[2] } names[f] = name; val[l, f, n[l]] = v }
    nf = NF }
  END {
    hdr[3] = "req/s"; hdr[4] = "requests"; hdr[5] = "errors"; hdr[6] = "cpu_ms/req"; hdr[7] = "user_ms/req"; hdr[8] = "sys_ms/req"
    hdr[9] = "switches/req"; hdr[10] = "syscalls/req"
    for (f = 3; f <= nf; f++) {
      if (f == 4) continue
      name = (f in hdr) ? hdr[f] : names[f]
      line = sprintf("%-16s", name)
      for (l in labels) { delete a; for (i = 1; i <= n[l]; i++) a[i] = val[l, f, i]; m[l] = med(a, n[l]); line = line sprintf(" %s %-10.4g", l, m[l]) }
      if (("after" in labels) && ("before" in labels) && m["before"] > 0) line = line sprintf(" after/before %.2f", m["after"] / m["before"])
      print line
    }
  }' "$results"
