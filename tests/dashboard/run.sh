#!/usr/bin/env bash
# tests/dashboard/run.sh — the built-in dashboard in a real browser against the real daemon.
#
#   tests/dashboard/run.sh [QUOTAGUARD_BIN] [FAKE_PROVIDER_BIN] [OUT_DIR]
# defaults: build/cli/quotaguard, build/tests/fakes/qg-fake-provider, build/tests/dashboard.
# Starts qg-fake-provider (one key always answers 429), writes a config with three accounts
# and an admin token, starts `quotaguard serve` on 127.0.0.1:0 (and a second one without an
# admin token, and a third serving HTTPS), sends traffic through the proxy, installs playwright-core into tests/dashboard/node_modules if missing (it drives
# Debian's /usr/bin/chromium; no browser is downloaded), runs dashboard_test.mjs, then checks
# the daemon log for leaked secrets. Screenshots: OUT_DIR/dashboard.png and
# OUT_DIR/dashboard-phone.png. Exit 0 = pass. Stops only the processes it started.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="${1:-$build/cli/quotaguard}"
fake="${2:-$build/tests/fakes/qg-fake-provider}"
out="${3:-$build/tests/dashboard}"
for bin in "$qg" "$fake"; do [[ -x "$bin" ]] || { echo "run.sh: not executable: $bin" >&2; exit 2; }; done
qg="$(realpath "$qg")"; fake="$(realpath "$fake")"
command -v node >/dev/null || { echo "run.sh: node not found" >&2; exit 2; }
chromium="${QG_CHROMIUM:-$(command -v chromium || true)}"
[[ -x "$chromium" ]] || { echo "run.sh: chromium not found (scripts/install-deps.sh installs Debian's chromium)" >&2; exit 2; }
mkdir -p "$out"

work="$(mktemp -d /tmp/qg-dashboard-XXXXXX)"
LABEL=run.sh
source "$root/scripts/child_processes.sh"
cleanup() {
  stop_children
  [[ -n "${QG_KEEP_TEMP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

# openai-spare's key has provider-side limits: its windows come from rate-limit headers.
"$fake" --port 0 --fault sk-dash-exhausted=429 --retry-after 90 \
  --key-quota sk-dash-secret-spare=200:20000 --window-ms 3600000 2>"$work/fake.log" &
pids+=($!)
fake_port="$(wait_port "$work/fake.log")"

admin_token="qg-dashboard-admin-token-5b7e1c"
client_key="qg-dashboard-client-key-0c4d"
cat >"$work/config.yaml" <<YAML
server:
  listen: "127.0.0.1:0"
  api_keys: ["$client_key"]
  admin_token: "$admin_token"
storage:
  db_path: "$work/quotaguard.db"
accounts:
  - id: openai-main
    provider: openai
    base_url: "http://127.0.0.1:$fake_port/v1"
    api_key: "sk-dash-secret-main"
    models: ["gpt-4o-mini", "gpt-4o"]
    limits:
      - {metric: requests, window: 1d, limit: 40}
      - {metric: tokens, window: 1d, limit: 4000}
  - id: openai-spare
    provider: openai
    base_url: "http://127.0.0.1:$fake_port/v1"
    api_key: "sk-dash-secret-spare"
    models: ["gpt-4o-mini"]
    limits:
      - {metric: requests, window: 1d, limit: 500}
  - id: openai-throttled
    provider: openai
    base_url: "http://127.0.0.1:$fake_port/v1"
    api_key: "sk-dash-exhausted"
    models: ["gpt-4.1"]
    limits:
      - {metric: requests, window: 1h, limit: 100}
router:
  thresholds: {warning: 60, switch: 75, critical: 90}
YAML

(cd "$work" && exec "$qg" serve --config "$work/config.yaml" 2>"$work/daemon.log") &
pids+=($!)
qg_port="$(wait_port "$work/daemon.log")"
base="http://127.0.0.1:$qg_port"
wait_ready "$qg_port"

# A second daemon without an admin token (loopback only): the page opens without asking.
sed -e '/admin_token:/d' -e "s|$work/quotaguard.db|$work/open.db|" "$work/config.yaml" >"$work/open.yaml"
(cd "$work" && exec "$qg" serve --config "$work/open.yaml" 2>"$work/open.log") &
pids+=($!)
open_port="$(wait_port "$work/open.log")"
wait_ready "$open_port"

# A third daemon serving HTTPS (server.tls, a self-signed pair for 127.0.0.1), with the admin
# token: the page works over the daemon's own TLS.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
sed -e "s|$work/quotaguard.db|$work/tls.db|" \
  -e "/^server:/a\\  tls: {cert: \"$work/tls.crt\", key: \"$work/tls.key\"}" "$work/config.yaml" >"$work/tls.yaml"
(cd "$work" && exec "$qg" serve --config "$work/tls.yaml" 2>"$work/tls.log") &
pids+=($!)
tls_port="$(wait_port "$work/tls.log")"
for _ in $(seq 1 200); do curl -kfsS "https://127.0.0.1:$tls_port/ready" >/dev/null 2>&1 && break; sleep 0.05; done

# Traffic: gpt-4o-mini (routed to openai-spare, the most headroom), 26 gpt-4o (only
# openai-main serves it: 26 of its 40 requests a day, past the warning mark -> an alert), and
# two requests for the model only openai-throttled serves (429 -> cooldown).
chat() {
  curl -s -o /dev/null -w '%{http_code}\n' "$base/v1/chat/completions" \
    -H "Authorization: Bearer $client_key" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$1\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"dashboard test $2\"}]}"
}
codes=""
for i in $(seq 1 14); do codes+="$(chat gpt-4o-mini "$i") "; done
for i in $(seq 1 26); do codes+="$(chat gpt-4o "$i") "; done
for i in 1 2; do codes+="$(chat gpt-4.1 "$i") "; done
echo "run.sh: traffic status codes: $codes"

status=0
QG_URL="$base" QG_OPEN_URL="http://127.0.0.1:$open_port" QG_TLS_URL="https://127.0.0.1:$tls_port" QG_ADMIN_TOKEN="$admin_token" QG_CHROMIUM="$chromium" QG_OUT_DIR="$out" \
  QG_SECRETS="$client_key,sk-dash-secret-main,sk-dash-secret-spare,sk-dash-exhausted" \
  node "$here/dashboard_test.mjs" || status=$?

for secret in "$client_key" "$admin_token" sk-dash-secret-main sk-dash-secret-spare sk-dash-exhausted; do
  if grep -q -- "$secret" "$work/daemon.log"; then
    echo "FAIL secret leaked into the daemon log: ${secret:0:6}..." >&2
    status=1
  fi
done
[[ $status -eq 0 ]] || { echo "--- daemon log (tail)" >&2; tail -40 "$work/daemon.log" >&2; }
exit $status
