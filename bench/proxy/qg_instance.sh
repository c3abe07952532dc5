# bench/proxy/qg_instance.sh — sourced helper: start_qg NAME LISTEN_PORT UPSTREAM_BASE [EXTRA_YAML] [PROVIDER]
# writes $work/NAME.yaml (one open account of PROVIDER (openai) on UPSTREAM_BASE, journal
# synchronous: $QG_SYNCHRONOUS, default full),
# starts `quotaguard serve` in the background, waits for /ready, sets QG_PID_<NAME>.
# Needs: $qg (binary), $work (temp dir), array pids (for cleanup).
start_qg() {
  local name=$1 port=$2 upstream=$3 extra=${4:-} provider=${5:-openai}
  cat >"$work/$name.yaml" <<YAML
server:
  listen: "127.0.0.1:$port"
  max_connections: ${QG_MAX_CONNECTIONS:-256}
storage:
  db_path: "$work/$name.db"
  synchronous: ${QG_SYNCHRONOUS:-full}
accounts:
  - {id: mock, provider: $provider, base_url: "$upstream", api_key: "sk-mock"}
log:
  level: warn
$extra
YAML
  (cd "$work" && exec "$qg" serve --config "$work/$name.yaml" 2>"$work/$name.log") &
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
