#!/usr/bin/env bash
# tests/demo/demo_test.sh QUOTAGUARD_BIN FAKE_PROVIDER_BIN — runs scripts/demo.sh (what
# `make demo` runs) on a free port with DEMO_EXIT=1 and checks what it shows for each agent
# dialect: six turns answered, three by each of its two accounts, switched from the first
# account to the second as the first was spent (router.thresholds decide when), then the dialect's own 429 (Anthropic rate_limit_error, OpenAI rate_limit_error,
# Google RESOURCE_EXHAUSTED) with a Retry-After.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(mktemp /tmp/qg-demo-test-XXXXXX)"
trap 'rm -f "$out"' EXIT
DEMO_PORT=0 DEMO_EXIT=1 QUOTAGUARD_BIN="$1" FAKE_PROVIDER_BIN="$2" "$root/scripts/demo.sh" >"$out" 2>&1 || {
  echo "demo.sh failed:"; cat "$out"; exit 1; }
cat "$out"
status=0
check_block() {  # dialect-header-prefix account-prefix error-marker
  local block
  block="$(awk -v h="$1" 'index($0, h) == 1 {on = 1; next} on && /^  [0-9]/ {print; next} on {exit}' "$out")"
  local accounts; accounts="$(awk '$2 == 200 {print $3}' <<<"$block" | tr '\n' ' ')"
  local switches; switches="$(awk '$2 == 200 {if (prev != "" && $3 != prev) n++; prev = $3} END {print n + 0}' <<<"$block")"
  if [[ "$(grep -c "^  [0-9]  200  $2-1 " <<<"$block")" != 3 || "$(grep -c "^  [0-9]  200  $2-2 " <<<"$block")" != 3 ||
        "$switches" -lt 1 ]]; then
    echo "FAIL $1: expected 3 turns on $2-1 and 3 on $2-2 with a switch between, got: $accounts"; status=1
  fi
  if ! grep -q "^  7  429  .*$3.*retry-after [1-9]" <<<"$block"; then
    echo "FAIL $1: the 7th turn is not the dialect's 429 ($3) with a Retry-After:"; echo "$block"; status=1
  fi
}
check_block "Claude Code" demo-claude '"type":"error","error":{"type":"rate_limit_error"'
check_block "Codex CLI" demo-codex '"type":"rate_limit_error"'
check_block "Gemini CLI" demo-gemini '"status":"RESOURCE_EXHAUSTED"'
[[ $status == 0 ]] && echo "ok: every agent was switched to its second account and got its dialect's 429"
exit $status
