#!/usr/bin/env bash
# Installs the Debian 12 packages QuotaGuard needs to build, test and run.
# Idempotent: installs only what is missing and prints nothing when all is present.
# `install-deps.sh --fuzz` adds what `make fuzz` needs (clang, libclang-rt-14-dev).
# `install-deps.sh --no-browser` leaves out the browser the dashboard test drives (chromium):
# the Dockerfile builds the daemon only, so it passes it.
# `install-deps.sh --no-test-clients` leaves out Node.js/npm, nginx and the PostgreSQL server
# (only the SDK/agent, reverse-proxy and PostgreSQL tests use them; the Dockerfile's build
# stage, which builds no tests, passes it).
# The Dockerfile uses the same list (tests/deps_sync_test.sh keeps them equal).
set -euo pipefail

PACKAGES=(
  # build
  cmake g++ ninja-build pkg-config ccache make
  # the seven card libraries + OpenSSL
  libcaf-dev libcpp-httplib-dev libsimdjson-dev libyaml-cpp-dev libsqlite3-dev
  libspdlog-dev doctest-dev libssl-dev
  # libpq, PostgreSQL's own C client: the event log backend for several nodes (storage.backend: postgres)
  libpq-dev
  # argument parsing and off-hot-path JSON building
  libcli11-dev nlohmann-json3-dev
  # tests: sqlite3 CLI for backups/inspection, curl for end-to-end tests; jq and python3-yaml
  # for the docs tests (tests/docs: the docs' examples use jq; INTERFACE.md's YAML is parsed)
  sqlite3 curl ca-certificates python3 jq python3-yaml
)
# Node.js + npm run the official OpenAI SDK test; a machine may already have them from
# elsewhere than Debian, so they are installed only when the commands are absent.
NODE_PACKAGES=()
command -v node >/dev/null 2>&1 || NODE_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || NODE_PACKAGES+=(npm)
# Tests only: Debian's Chromium, which the dashboard test (tests/dashboard) drives headless
# through playwright-core (npm); left out with --no-browser, and when a chromium is present.
BROWSER_PACKAGES=()
command -v chromium >/dev/null 2>&1 || BROWSER_PACKAGES=(chromium)
# Tests only: nginx, which tests/docs/reverse_proxy_test.py runs with docs/TLS.md's block in
# front of the daemon (left out with --no-test-clients, like Node.js; present when found).
PEER_PACKAGES=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || PEER_PACKAGES=(nginx-light)
# Tests only: the PostgreSQL server, which tests/postgres starts in a temporary directory
# (initdb + pg_ctl, as the `postgres` user this package creates when the tests run as root).
# Debian keeps the binaries in /usr/lib/postgresql/<version>/bin; present when found there.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 ||
  PEER_PACKAGES+=(postgresql)
# `--fuzz` (make fuzz, CI): clang and its libFuzzer runtime, for the fuzz targets only.
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
with_browser=1
with_node=1
for arg in "$@"; do
  case "$arg" in
    --fuzz) PACKAGES=("${PACKAGES[@]}" "${FUZZ_PACKAGES[@]}") ;;
    --no-browser) with_browser=0 ;;
    --no-test-clients) with_node=0 ;;
    *) echo "install-deps: unknown option $arg (--fuzz, --no-browser, --no-test-clients)" >&2; exit 2 ;;
  esac
done
[ "$with_browser" = 1 ] && PACKAGES=("${PACKAGES[@]}" "${BROWSER_PACKAGES[@]}")
[ "$with_node" = 1 ] && PACKAGES=("${PACKAGES[@]}" "${NODE_PACKAGES[@]}" "${PEER_PACKAGES[@]}")

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
