#!/usr/bin/env bash
# tests/sdk/run.sh — the official OpenAI Node SDK against a real QuotaGuard daemon.
#
#   tests/sdk/run.sh [QUOTAGUARD_BIN] [FAKE_PROVIDER_BIN]
# defaults: build/cli/quotaguard, build/tests/fakes/qg-fake-provider (or $BUILD_DIR/...).
# Starts qg-fake-provider (accounts = API keys on it; one always answers 429), writes a config
# in a temp dir, starts `quotaguard serve` on 127.0.0.1:0, installs the npm packages
# (npm_install.sh) into tests/sdk/node_modules if missing, runs openai_sdk_test.mjs, then checks the daemon log
# for leaked secrets. Exit 0 = pass. Stops only the processes it started.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="${1:-$build/cli/quotaguard}"
fake="${2:-$build/tests/fakes/qg-fake-provider}"
for bin in "$qg" "$fake"; do [[ -x "$bin" ]] || { echo "run.sh: not executable: $bin" >&2; exit 2; }; done
qg="$(realpath "$qg")"; fake="$(realpath "$fake")"
command -v node >/dev/null || { echo "run.sh: node not found" >&2; exit 2; }

work="$(mktemp -d /tmp/qg-sdk-XXXXXX)"
LABEL=run.sh
source "$here/../../scripts/child_processes.sh"
cleanup() {
  stop_children
  [[ -n "${QG_KEEP_TEMP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

"$here/npm_install.sh"

"$fake" --port 0 --fault sk-sdk-exhausted=429 --retry-after 30 --chunks 4 2>"$work/fake.log" &
pids+=($!)
fake_port="$(wait_port "$work/fake.log")"

client_key="qg-sdk-client-key-0123456789"
cat >"$work/config.yaml" <<YAML
server:
  listen: "127.0.0.1:0"
  api_keys: ["$client_key"]
storage:
  db_path: "$work/quotaguard.db"
accounts:
  - id: fake-a
    provider: openai
    base_url: "http://127.0.0.1:$fake_port/v1"
    api_key: "sk-sdk-secret-a"
    models: ["gpt-4o-mini", "text-embedding-3-small"]
  - id: fake-b
    provider: openai
    base_url: "http://127.0.0.1:$fake_port/v1"
    api_key: "sk-sdk-secret-b"
    models: ["gpt-4o-mini", "text-embedding-3-small"]
  - id: fake-exhausted
    provider: openai
    base_url: "http://127.0.0.1:$fake_port/v1"
    api_key: "sk-sdk-exhausted"
    models: ["exhausted-model"]
log:
  level: debug
YAML

(cd "$work" && exec "$qg" serve --config "$work/config.yaml" 2>"$work/daemon.log") &
pids+=($!)
qg_port="$(wait_port "$work/daemon.log")"
wait_ready "$qg_port"

status=0
QG_BASE_URL="http://127.0.0.1:$qg_port/v1" QG_API_KEY="$client_key" QG_EXHAUSTED_MODEL="exhausted-model" \
  node "$here/openai_sdk_test.mjs" || status=$?

for secret in "$client_key" sk-sdk-secret-a sk-sdk-secret-b sk-sdk-exhausted; do
  if grep -q -- "$secret" "$work/daemon.log"; then
    echo "FAIL secret leaked into the daemon log: ${secret:0:6}..." >&2
    status=1
  fi
done
[[ $status -eq 0 ]] || { echo "--- daemon log (tail)" >&2; tail -40 "$work/daemon.log" >&2; }
exit $status
