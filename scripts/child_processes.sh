# scripts/child_processes.sh — sourced by scripts that start the daemon and fakes as child
# processes (scripts/demo.sh, tests/sdk/run.sh). Set LABEL (message prefix) first; add each
# child's pid to the array `pids`.
#   stop_children          SIGTERM every pid, 10 s to exit, then SIGKILL; reap them
#   wait_port LOGFILE      prints the port of the first "listening on 127.0.0.1:PORT" line
#   wait_ready PORT        waits (up to 10 s) until the daemon on PORT answers GET /ready 200
pids=()

stop_children() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # give them 10 s to exit cleanly, then SIGKILL (only our own pids)
  for _ in $(seq 1 100); do
    alive=0; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break; sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && { echo "$LABEL: pid $pid ignored SIGTERM for 10 s, killing" >&2; kill -9 "$pid"; }
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

wait_port() {
  local port
  for _ in $(seq 1 300); do
    port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$1" | head -1)"
    [[ -n "$port" ]] && { echo "$port"; return 0; }
    sleep 0.05
  done
  echo "$LABEL: no 'listening on' line in $1:" >&2; cat "$1" >&2; return 1
}

wait_ready() {
  for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$1/ready" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "$LABEL: the daemon on port $1 was not ready after 10 s" >&2; return 1
}
