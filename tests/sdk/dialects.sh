#!/usr/bin/env bash
# tests/sdk/dialects.sh — real, unchanged npm clients of the three other dialects against the
# real QuotaGuard daemon in front of qg-fake-provider.
#
#   tests/sdk/dialects.sh sdks|agents [QUOTAGUARD_BIN] [FAKE_PROVIDER_BIN]
#   sdks    @anthropic-ai/sdk (messages.create plain + stream, RateLimitError), openai
#           (responses.create plain + stream, RateLimitError), @google/genai (generateContent,
#           generateContentStream, ApiError 429) — dialect_sdk_test.mjs
#   agents  Claude Code (`claude -p`, ANTHROPIC_BASE_URL), Codex CLI (`codex exec
#           --skip-git-repo-check`, a model_providers entry with wire_api = "responses"),
#           Gemini CLI (`gemini -p`, GOOGLE_GEMINI_BASE_URL + GEMINI_API_KEY, api-key auth)
# Each client must print the fake's answer ("tok tok ..."). Afterwards the daemon log must not
# hold the client key or an account key, and the fake must never have seen the client key.
# Stops only the processes it started.
set -euo pipefail
mode="${1:?usage: dialects.sh sdks|agents [QUOTAGUARD_BIN] [FAKE_PROVIDER_BIN]}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="${2:-$build/cli/quotaguard}"
fake="${3:-$build/tests/fakes/qg-fake-provider}"
for bin in "$qg" "$fake"; do [[ -x "$bin" ]] || { echo "dialects.sh: not executable: $bin" >&2; exit 2; }; done
qg="$(realpath "$qg")"; fake="$(realpath "$fake")"
command -v node >/dev/null || { echo "dialects.sh: node not found" >&2; exit 2; }

work="$(mktemp -d /tmp/qg-dialects-XXXXXX)"
LABEL=dialects.sh
source "$root/scripts/child_processes.sh"
cleanup() {
  stop_children
  [[ -n "${QG_KEEP_TEMP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

"$here/npm_install.sh"

"$fake" --port 0 --fault sk-dia-exhausted=429 --retry-after 30 --chunks 3 --completion-tokens 6 2>"$work/fake.log" &
pids+=($!)
fake_port="$(wait_port "$work/fake.log")"
fake_url="http://127.0.0.1:$fake_port"

client_key="qg-dialects-client-key-0123456789"
account() {  # id provider base key models
  printf '  - id: %s\n    provider: %s\n    base_url: "%s"\n    api_key: "%s"\n    models: %s\n' "$@"
}
{
  cat <<YAML
server:
  listen: "127.0.0.1:0"
  api_keys: ["$client_key"]
storage:
  db_path: "$work/quotaguard.db"
reservations:
  default_output_tokens: {responses: 2048, gemini: 2048}
log:
  level: debug
accounts:
YAML
  account claude-exhausted anthropic "$fake_url/v1" sk-dia-exhausted '["exhausted-claude"]'
  account claude-a anthropic "$fake_url/v1" sk-dia-claude '["claude-*"]'
  account gpt-exhausted openai "$fake_url/v1" sk-dia-exhausted '["exhausted-gpt"]'
  account gpt-a openai "$fake_url/v1" sk-dia-openai '["gpt-*"]'
  account gemini-exhausted gemini "$fake_url/v1beta" sk-dia-exhausted '["exhausted-gemini"]'
  account gemini-a gemini "$fake_url/v1beta" sk-dia-gemini '["gemini-*"]'
} >"$work/config.yaml"

(cd "$work" && exec "$qg" serve --config "$work/config.yaml" 2>"$work/daemon.log") &
pids+=($!)
qg_port="$(wait_port "$work/daemon.log")"
for _ in $(seq 1 200); do
  curl -fsS "http://127.0.0.1:$qg_port/ready" >/dev/null 2>&1 && break
  sleep 0.05
done
qg_url="http://127.0.0.1:$qg_port"

status=0
expect_answer() {  # name logfile
  if grep -q "tok tok" "$2"; then echo "ok $1"; else
    echo "FAIL $1 did not print the fake's answer:" >&2; tail -30 "$2" >&2; status=1
  fi
}

if [[ "$mode" == sdks ]]; then
  QG_URL="$qg_url" QG_API_KEY="$client_key" node "$here/dialect_sdk_test.mjs" || status=$?
else
  home="$work/home"; mkdir -p "$home/.gemini" "$home/.codex" "$work/project"
  base_env=(env -i PATH="$PATH" HOME="$home" TERM=dumb NO_COLOR=1 CI=1)
  # Claude Code: ANTHROPIC_BASE_URL + the client key as ANTHROPIC_API_KEY.
  (cd "$work/project" && timeout 120 "${base_env[@]}" ANTHROPIC_BASE_URL="$qg_url" ANTHROPIC_API_KEY="$client_key" \
     CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 \
     "$here/node_modules/.bin/claude" -p "Say hello." --model claude-sonnet-4-5 </dev/null >"$work/claude.out" 2>&1) || true
  expect_answer "claude -p" "$work/claude.out"
  # Codex CLI: a custom model provider speaking the Responses API.
  cat >"$home/.codex/config.toml" <<TOML
model = "gpt-5-codex"
model_provider = "quotaguard"

[model_providers.quotaguard]
name = "QuotaGuard"
base_url = "$qg_url/v1"
env_key = "QUOTAGUARD_API_KEY"
wire_api = "responses"
TOML
  (cd "$work/project" && timeout 120 "${base_env[@]}" CODEX_HOME="$home/.codex" QUOTAGUARD_API_KEY="$client_key" \
     "$here/node_modules/.bin/codex" exec --skip-git-repo-check "Say hello." </dev/null >"$work/codex.out" 2>&1) || true
  expect_answer "codex exec" "$work/codex.out"
  # Gemini CLI: GOOGLE_GEMINI_BASE_URL with an API key (api-key auth in its settings file).
  cat >"$home/.gemini/settings.json" <<JSON
{"security": {"auth": {"selectedType": "gemini-api-key"}}, "selectedAuthType": "gemini-api-key"}
JSON
  (cd "$work/project" && timeout 120 "${base_env[@]}" GOOGLE_GEMINI_BASE_URL="$qg_url" GEMINI_API_KEY="$client_key" \
     GEMINI_CLI_TRUST_WORKSPACE=true \
     "$here/node_modules/.bin/gemini" -p "Say hello." </dev/null >"$work/gemini.out" 2>&1) || true
  expect_answer "gemini -p" "$work/gemini.out"
fi

for secret in "$client_key" sk-dia-claude sk-dia-openai sk-dia-gemini sk-dia-exhausted; do
  if grep -q -- "$secret" "$work/daemon.log"; then
    echo "FAIL secret leaked into the daemon log: ${secret:0:6}..." >&2
    status=1
  fi
done
if curl -fsS "$fake_url/_served" | grep -q -- "$client_key"; then
  echo "FAIL the client key reached the provider" >&2
  status=1
fi
[[ $status -eq 0 ]] || { echo "--- daemon log (tail)" >&2; tail -40 "$work/daemon.log" >&2; }
exit $status
