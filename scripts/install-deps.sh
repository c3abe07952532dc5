#!/usr/bin/env bash
# Installs the Debian 12 packages QuotaGuard needs to build, test and run.
# Idempotent: installs only what is missing and prints nothing when all is present.
# `install-deps.sh --fuzz` adds what `make fuzz` needs (clang, libclang-rt-14-dev).
# The Dockerfile uses the same list (tests/deps_sync_test.sh keeps them equal).
set -euo pipefail

PACKAGES=(
  # build
  cmake g++ ninja-build pkg-config ccache make
  # the seven card libraries + OpenSSL
  libcaf-dev libcpp-httplib-dev libsimdjson-dev libyaml-cpp-dev libsqlite3-dev
  libspdlog-dev doctest-dev libssl-dev
  # argument parsing and off-hot-path JSON building
  libcli11-dev nlohmann-json3-dev
  # tests: sqlite3 CLI for backups/inspection, curl for end-to-end tests
  sqlite3 curl ca-certificates python3
)
# Node.js + npm run the official OpenAI SDK test; a machine may already have them from
# elsewhere than Debian, so they are installed only when the commands are absent.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
# `--fuzz` (make fuzz, CI): clang and its libFuzzer runtime, for the fuzz targets only.
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
[ "${1:-}" = "--fuzz" ] && PACKAGES=("${PACKAGES[@]}" "${FUZZ_PACKAGES[@]}")

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
