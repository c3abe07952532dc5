# bench/proxy/qg_instance.sh — sourced helper: start_qg NAME LISTEN_PORT UPSTREAM_BASE [EXTRA_YAML] [PROVIDER]
# writes $work/NAME.yaml (one open account of PROVIDER (openai) on UPSTREAM_BASE, journal
# synchronous: $QG_SYNCHRONOUS, default full; QG_GLIBC_TUNABLES: the daemon's GLIBC_TUNABLES
# (unset: inherited); more storage lines from $QG_STORAGE_EXTRA, e.g.
# "  backend: postgres"; $QG_SERVER_EXTRA likewise under server:, e.g. "  threads: 1"),
# starts `quotaguard serve` in the background, waits for /ready, sets QG_PID_<NAME>.
# Needs: $qg (binary), $work (temp dir), array pids (for cleanup).
# Also: bench_begin NAME (ulimit -n up, $work = a fresh temp dir, pids=(), both cleaned up on
# exit) and start_fake ARGS... (qg-fake-provider $fake on a free port; sets $fport), and
# daemon_threads SCHED_DATA PID (request_path.sh, stream_path.sh).
start_qg() {
  local name=$1 port=$2 upstream=$3 extra=${4:-} provider=${5:-openai}
  cat >"$work/$name.yaml" <<YAML
server:
  listen: "127.0.0.1:$port"
  max_connections: ${QG_MAX_CONNECTIONS:-256}
${QG_SERVER_EXTRA:-}
storage:
  db_path: "$work/$name.db"
  synchronous: ${QG_SYNCHRONOUS:-full}
${QG_STORAGE_EXTRA:-}
accounts:
  - {id: mock, provider: $provider, base_url: "$upstream", api_key: "sk-mock"}
log:
  level: warn
$extra
YAML
  # QG_GLIBC_TUNABLES, when set, is the daemon's GLIBC_TUNABLES alone (not wrk's or the mocks'):
  # e.g. the packaged glibc.malloc.tcache_max=256 (config/quotaguard.service).
  (cd "$work" && if [[ -n "${QG_GLIBC_TUNABLES+set}" ]]; then export GLIBC_TUNABLES=$QG_GLIBC_TUNABLES; fi
   exec "$qg" serve --config "$work/$name.yaml" 2>"$work/$name.log") &
  local pid=$!
  pids+=("$pid")
  eval "QG_PID_$name=$pid"
  for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench: quotaguard '$name' did not get ready:" >&2
  tail -20 "$work/$name.log" >&2
  return 1
}

bench_begin() {
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  work="$(mktemp -d "/tmp/qg-bench-$1-XXXXXX")"
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}

start_fake() {
  "$fake" --port 0 "$@" 2>"$work/fake.log" &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q "listening on" "$work/fake.log" && break; sleep 0.05; done
  fport="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/fake.log")"
}

# daemon_threads SCHED_DATA PID: CPU ms and context switches of each kind of the daemon's threads
# in a `perf sched record`. CAF 0.17's thread names: scheduler workers inherit "caf.multiplexer",
# detached actors (the journal) are "caf.actor", timers "caf.clock"; the rest are httplib's
# connection threads.
daemon_threads() {
  perf sched timehist -i "$1" -s 2>/dev/null | grep -E "/$2\]" |
    awk '{c=$1; sub(/\[.*/, "", c)
          if (c == "caf.multiplexer") c = "actor scheduler"; else if (c == "caf.actor") c = "journal (detached)"
          else if (c == "caf.clock") c = "actor timers"; else c = "http workers"
          s[c] += $4; k[c] += $3}
         END {for (c in s) printf "  %-20s %7.1f ms %7d switches\n", c, s[c], k[c]}'
}
