#!/usr/bin/env bash
# scripts/demo.sh — `make demo`: QuotaGuard in front of fake provider accounts.
#
# Starts two qg-fake-provider processes (fakes of OpenAI, Anthropic Messages, OpenAI Responses
# and Gemini with real rate-limit headers and per-key quotas) holding nine accounts, writes a
# demo config into a temp dir, starts `quotaguard serve` on 127.0.0.1:${DEMO_PORT:-8318}, then
# plays an agent of each dialect — what Claude Code, Codex CLI and Gemini CLI send — against
# two small accounts (3 requests/min each): the first is spent, the agent is switched to the
# second, and once both are spent it gets the dialect's own 429 (the one its SDK maps to its
# rate-limit error). Then it prints curl lines to try and waits; Ctrl-C stops everything it
# started (and only that). DEMO_KEEP=1 keeps the temp dir (config, event log, logs) for
# `quotaguard replay --db <dir>/demo.db`; DEMO_EXIT=1 stops after the agents' run (tests).
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

# Provider 1: accounts demo-alpha (30 requests/min) and demo-gamma (5 requests/min), and the
# first account of each other dialect (3 requests/min).
"$fake" --port 0 --key-quota sk-demo-alpha=30:20000 --key-quota sk-demo-gamma=5:5000 \
  --key-quota sk-demo-claude-1=3:0 --key-quota sk-demo-codex-1=3:0 --key-quota sk-demo-gemini-1=3:0 \
  --chunks 6 --chunk-delay-ms 80 2>"$work/fake1.log" &
pids+=($!)
# Provider 2: account demo-beta (30 requests/min) and the second account of each other dialect.
"$fake" --port 0 --key-quota sk-demo-beta=30:20000 \
  --key-quota sk-demo-claude-2=3:0 --key-quota sk-demo-codex-2=3:0 --key-quota sk-demo-gemini-2=3:0 \
  --chunks 6 --chunk-delay-ms 80 2>"$work/fake2.log" &
pids+=($!)
p1="$(wait_port "$work/fake1.log")"
p2="$(wait_port "$work/fake2.log")"

# Two small accounts (3 requests/min) per agent dialect, one on each fake: Anthropic Messages
# (claude-demo), OpenAI Responses (codex-demo), Gemini (gemini-demo).
agent_accounts() {
  local name provider base n
  for spec in claude:anthropic:/v1 codex:openai:/v1 gemini:gemini:/v1beta; do
    IFS=: read -r name provider base <<<"$spec"
    for n in 1 2; do
      local port=$p1; [[ $n == 2 ]] && port=$p2
      printf '  - {id: demo-%s-%s, provider: %s, base_url: "http://127.0.0.1:%s%s", api_key: "sk-demo-%s-%s",\n' \
        "$name" "$n" "$provider" "$port" "$base" "$name" "$n"
      printf '     models: ["%s-demo"], limits: [{metric: requests, window: 1m, limit: 3}]}\n' "$name"
    done
  done
}

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
$(agent_accounts)
reservations:
  default_output_tokens: {responses: 256, gemini: 256}   # Codex CLI and Gemini CLI name no output bound
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

# One agent turn in a dialect, as the agent sends it; prints "N STATUS ACCOUNT MODE" or the
# dialect's error. agent_turn N DIALECT stream(0|1)
agent_turn() {
  local n=$1 dialect=$2 stream=$3 path body headers=(-H 'Content-Type: application/json')
  case "$dialect" in
    messages)   # Claude Code / @anthropic-ai/sdk
      path="/v1/messages?beta=true"
      body='{"model":"claude-demo","max_tokens":64,"messages":[{"role":"user","content":"Fix the failing test."}]'
      [[ $stream == 1 ]] && body+=',"stream":true'; body+='}'
      headers+=(-H 'x-api-key: demo-key' -H 'anthropic-version: 2023-06-01') ;;
    responses)  # Codex CLI / openai responses.create (no max_output_tokens)
      path="/v1/responses"
      body='{"model":"codex-demo","input":"Fix the failing test.","store":false'
      [[ $stream == 1 ]] && body+=',"stream":true'; body+='}'
      headers+=(-H 'Authorization: Bearer demo-key') ;;
    gemini)     # Gemini CLI / @google/genai (no maxOutputTokens)
      path="/v1beta/models/gemini-demo:generateContent"
      [[ $stream == 1 ]] && path="/v1beta/models/gemini-demo:streamGenerateContent?alt=sse"
      body='{"contents":[{"role":"user","parts":[{"text":"Fix the failing test."}]}]}'
      headers+=(-H 'x-goog-api-key: demo-key') ;;
  esac
  local status account
  status="$(curl -s -o "$work/turn.out" -D "$work/turn.head" -w '%{http_code}' "${headers[@]}" -d "$body" "$url$path")"
  account="$(sed -n 's/^x-quotaguard-account: *\([^[:space:]]*\).*/\1/Ip' "$work/turn.head" | head -1)"
  if [[ $status == 200 ]]; then
    printf '  %d  %s  %-14s %s\n' "$n" "$status" "$account" "$([[ $stream == 1 ]] && echo stream || echo plain)"
  else
    printf '  %d  %s  %s  retry-after %s\n' "$n" "$status" "$(head -c 400 "$work/turn.out")" \
      "$(sed -n 's/^retry-after: *\([0-9]*\).*/\1/Ip' "$work/turn.head" | head -1)"
  fi
}

echo
# The accounts' 1-minute windows are clock minutes: start the agents early in one, so that no
# window rolls over halfway through the run.
sec=$((10#$(date -u +%S)))
if (( sec > 40 )); then
  echo "(waiting $((60 - sec)) s for the next minute: the demo accounts' 1-minute windows are clock minutes)"
  sleep $((60 - sec))
fi
echo "Agents at work, two accounts of 3 requests/min each per dialect (x-quotaguard-account shows which served):"
for dialect in messages responses gemini; do
  case "$dialect" in
    messages)  echo "Claude Code -> POST /v1/messages, model claude-demo (demo-claude-1, demo-claude-2):" ;;
    responses) echo "Codex CLI -> POST /v1/responses, model codex-demo (demo-codex-1, demo-codex-2):" ;;
    gemini)    echo "Gemini CLI -> POST /v1beta/models/gemini-demo:generateContent (demo-gemini-1, demo-gemini-2):" ;;
  esac
  for n in 1 2 3 4 5 6 7; do agent_turn "$n" "$dialect" $((n % 2 == 0 ? 1 : 0)); done
done
echo "(each agent stayed on its first account until it neared its limit (router.thresholds.switch), was"
echo " switched to the second, used up both, then got its dialect's own 429 with a Retry-After: Anthropic"
echo " rate_limit_error, OpenAI rate_limit_error, Google RESOURCE_EXHAUSTED — its SDK's rate-limit error.)"
[[ -n "${DEMO_EXIT:-}" ]] && exit 0

cat <<TXT

QuotaGuard demo is running on $url  (config: $work/config.yaml, log: $work/quotaguard.log)
Fake accounts: demo-alpha, demo-gamma and demo-{claude,codex,gemini}-1 on 127.0.0.1:$p1; demo-beta and
demo-{claude,codex,gemini}-2 on 127.0.0.1:$p2.

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

  # the agents' dialects (their accounts refill a minute after the run above):
  curl -s "$url/v1/messages" -H 'x-api-key: demo-key' -H 'anthropic-version: 2023-06-01' \\
       -d '{"model":"claude-demo","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}'
  curl -s "$url/v1/responses" -H 'Authorization: Bearer demo-key' -d '{"model":"codex-demo","input":"Hi"}'
  curl -s "$url/v1beta/models/gemini-demo:generateContent" -H 'x-goog-api-key: demo-key' \\
       -d '{"contents":[{"parts":[{"text":"Hi"}]}]}'
  # Claude Code, Codex CLI, Gemini CLI and the SDKs themselves: docs/AGENTS.md

Response headers x-quotaguard-account / -model / -reservation show which account served.
Open $url/dashboard in a browser to watch the accounts, the 24-hour chart and the decisions
(no admin token in this demo: the page opens without asking).
Press Ctrl-C to stop.
TXT
wait "${pids[2]}"
