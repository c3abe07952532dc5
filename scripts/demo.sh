#!/usr/bin/env bash
# scripts/demo.sh — `make demo`: QuotaGuard in front of three fake provider accounts.
#
# Starts two qg-fake-provider processes (OpenAI-compatible fakes with real x-ratelimit-*
# headers and per-key quotas) holding three accounts, writes a demo config into a temp dir,
# starts `quotaguard serve` on 127.0.0.1:${DEMO_PORT:-8318} and prints curl lines to try.
# Ctrl-C stops everything it started (and only that). Set DEMO_KEEP=1 to keep the temp dir
# (config, event log, logs) for `quotaguard replay --db <dir>/demo.db`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="${QUOTAGUARD_BIN:-$build/cli/quotaguard}"
fake="${FAKE_PROVIDER_BIN:-$build/tests/fakes/qg-fake-provider}"
port="${DEMO_PORT:-8318}"
for bin in "$qg" "$fake"; do
  [[ -x "$bin" ]] || { echo "demo: $bin not found; run 'make build' first" >&2; exit 2; }
done
qg="$(realpath "$qg")"; fake="$(realpath "$fake")"

work="$(mktemp -d /tmp/quotaguard-demo-XXXXXX)"
LABEL=demo
source "$(dirname "$0")/child_processes.sh"
cleanup() {
  trap - EXIT INT TERM
  stop_children
  if [[ -n "${DEMO_KEEP:-}" ]]; then echo "demo: files kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

# Provider 1: accounts demo-alpha (30 requests/min) and demo-gamma (5 requests/min).
"$fake" --port 0 --key-quota sk-demo-alpha=30:20000 --key-quota sk-demo-gamma=5:5000 \
  --chunks 6 --chunk-delay-ms 80 2>"$work/fake1.log" &
pids+=($!)
# Provider 2: account demo-beta (30 requests/min).
"$fake" --port 0 --key-quota sk-demo-beta=30:20000 --chunks 6 --chunk-delay-ms 80 2>"$work/fake2.log" &
pids+=($!)
p1="$(wait_port "$work/fake1.log")"
p2="$(wait_port "$work/fake2.log")"

cat >"$work/config.yaml" <<YAML
# QuotaGuard demo config (written by scripts/demo.sh).
server:
  listen: "127.0.0.1:$port"
  api_keys: ["demo-key"]
storage:
  db_path: "$work/demo.db"
accounts:
  - {id: demo-alpha, provider: openai, base_url: "http://127.0.0.1:$p1/v1", api_key: "sk-demo-alpha",
     models: ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"], limits: [{metric: requests, window: 1m, limit: 30}]}
  - {id: demo-beta, provider: openai, base_url: "http://127.0.0.1:$p2/v1", api_key: "sk-demo-beta",
     models: ["gpt-4o-mini", "text-embedding-3-small"], limits: [{metric: requests, window: 1m, limit: 30}]}
  - {id: demo-gamma, provider: openai, base_url: "http://127.0.0.1:$p1/v1", api_key: "sk-demo-gamma",
     models: ["gpt-4o-mini"], limits: [{metric: requests, window: 1m, limit: 5}]}
router:
  policy: balanced
  fallback_chains: {"gpt-4o": ["gpt-4o-mini"]}
log:
  level: info
YAML

(cd "$work" && exec "$qg" serve --config "$work/config.yaml" 2>"$work/quotaguard.log") &
pids+=($!)
qport="$(wait_port "$work/quotaguard.log")"
wait_ready "$qport"

url="http://127.0.0.1:$qport"
cat <<TXT

QuotaGuard demo is running on $url  (config: $work/config.yaml, log: $work/quotaguard.log)
Three fake accounts: demo-alpha and demo-gamma on 127.0.0.1:$p1, demo-beta on 127.0.0.1:$p2.

Try:
  curl -s $url/v1/chat/completions -H 'Authorization: Bearer demo-key' -H 'Content-Type: application/json' \\
       -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}' -D - 
  curl -sN $url/v1/chat/completions -H 'Authorization: Bearer demo-key' -H 'Content-Type: application/json' \\
       -d '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Stream!"}]}'
  curl -s $url/v1/models -H 'Authorization: Bearer demo-key'
  curl -s $url/api/v1/accounts | python3 -m json.tool      # quota windows per account
  for i in \$(seq 80); do curl -s -o /dev/null -w '%{http_code} ' $url/v1/chat/completions \\
       -H 'Authorization: Bearer demo-key' -d '{"model":"gpt-4o-mini","messages":[]}'; done; echo
       # 65 x 200, then 429 quota_exhausted with Retry-After once all three accounts are used up

Response headers x-quotaguard-account / -model / -reservation show which account served.
Open $url/dashboard in a browser to watch the accounts, the 24-hour chart and the decisions
(no admin token in this demo: the page opens without asking).
Press Ctrl-C to stop.
TXT
wait "${pids[2]}"
