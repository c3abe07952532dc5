#!/usr/bin/env bash
# tests/deps_sync/deps_sync_test.sh — keeps the Dockerfile honest where no Docker engine runs.
#
#   deps_sync_test.sh SOURCE_DIR [BINARY]        check the real files
#   deps_sync_test.sh --self-test SOURCE_DIR     prove a drifted list is caught
#
# Checks: (1) the build stage's apt-get package list equals scripts/install-deps.sh's
# PACKAGES (not its conditional test-only NODE_PACKAGES/BROWSER_PACKAGES: the image builds no
# tests, so it installs neither Node.js nor Chromium); (2) the build stage runs the same
# steps as CI (scripts/install-deps.sh --no-browser --no-test-clients, then the CMake build); (3) the runtime stage covers
# every Debian package that provides a shared library BINARY links (when dpkg is present),
# except the base image's and those a listed package pulls in (Depends, transitively); (4) the image
# basics the runbook promises: bookworm-slim, non-root USER, /data volume and DB path,
# HEALTHCHECK on /health, listen 0.0.0.0:8318, the systemd unit's GLIBC_TUNABLES.
set -uo pipefail

fail=0
err() { echo "deps_sync: $*" >&2; fail=1; }

# Words of scripts/install-deps.sh's PACKAGES array, one per line, sorted.
install_deps_packages() {
  awk '
    /^PACKAGES=\(/ { inside = 1; sub(/^PACKAGES=\(/, ""); }
    inside { line = $0; sub(/#.*/, "", line);
             if (line ~ /\)/) { sub(/\).*/, "", line); inside = 0 }
             print line; next }
  ' "$1" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u
}

# Packages of the apt-get install in Dockerfile stage N (1 = first FROM), one per line, sorted.
docker_stage_packages() {
  awk -v want="$2" '
    /^FROM / { stage++ }
    stage == want && /apt-get install/ { inside = 1; sub(/.*--no-install-recommends/, "") }
    inside { line = $0; cont = (line ~ /\\[ \t]*$/); sub(/\\[ \t]*$/, "", line);
             if (line ~ /&&/) { sub(/&&.*/, "", line); inside = 0 }
             print line; if (!cont) inside = 0 }
  ' "$1" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u
}

check_lists_equal() {  # install-deps.sh Dockerfile
  local a b
  a=$(install_deps_packages "$1"); b=$(docker_stage_packages "$2" 1)
  [ -n "$a" ] || err "no PACKAGES found in $1"
  [ -n "$b" ] || err "no apt-get install found in the build stage of $2"
  if [ "$a" != "$b" ]; then
    err "build-stage packages differ from scripts/install-deps.sh:"
    diff <(echo "$a") <(echo "$b") | sed -n 's/^</  only in install-deps.sh:/p; s/^>/  only in Dockerfile:/p' >&2
  fi
}

# Item 11: CLIProxyAPI's image carries a version tag (never `latest`, never untagged).
check_cliproxy_pinned() {  # docker-compose.yml
  local image
  image=$(grep -E '^[[:space:]]+image:[[:space:]]*[^ ]*cli-proxy-api' "$1" | awk '{print $2}')
  [ -n "$image" ] || { err "docker-compose.yml has no CLIProxyAPI image"; return; }
  [[ "$image" =~ :v?[0-9]+\.[0-9]+\.[0-9]+$ ]] || err "docker-compose.yml: CLIProxyAPI image $image is not pinned by version"
}

if [ "${1:-}" = "--self-test" ]; then
  src=$2; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  sed 's/^  cmake g++/  cmake libdrift-dev g++/' "$src/scripts/install-deps.sh" > "$tmp/install-deps.sh"
  grep -q libdrift-dev "$tmp/install-deps.sh" || { echo "self-test: could not inject drift" >&2; exit 1; }
  out=$( (check_lists_equal "$tmp/install-deps.sh" "$src/Dockerfile"; exit $fail) 2>&1 )
  if [ $? -eq 0 ] || ! grep -q "only in install-deps.sh: libdrift-dev" <<<"$out"; then
    echo "self-test: an extra package in install-deps.sh was not reported: $out" >&2; exit 1
  fi
  echo "self-test: drift reported: $(grep libdrift <<<"$out")"
  for image in eceasy/cli-proxy-api:latest eceasy/cli-proxy-api; do
    sed -E "s#image: eceasy/cli-proxy-api[^ ]*#image: $image#" "$src/docker-compose.yml" > "$tmp/docker-compose.yml"
    grep -qF "image: $image" "$tmp/docker-compose.yml" || { echo "self-test: could not inject $image" >&2; exit 1; }
    fail=0
    out=$( (check_cliproxy_pinned "$tmp/docker-compose.yml"; exit $fail) 2>&1 )
    if [ $? -eq 0 ] || ! grep -q "not pinned by version" <<<"$out"; then
      echo "self-test: an unpinned CLIProxyAPI image ($image) was not reported: $out" >&2; exit 1
    fi
  done
  echo "self-test: unpinned CLIProxyAPI images reported"; exit 0
fi

src=${1:?usage: deps_sync_test.sh SOURCE_DIR [BINARY]}; bin=${2:-}
deps="$src/scripts/install-deps.sh"; docker="$src/Dockerfile"
check_lists_equal "$deps" "$docker"

# (2) same steps as CI
build_stage=$(awk '/^FROM /{s++} s==1' "$docker")
grep -q 'scripts/install-deps.sh' <<<"$build_stage" || err "build stage does not run scripts/install-deps.sh"
# The browser the dashboard test drives (BROWSER_PACKAGES) is for tests only, which the image
# does not build: the build stage must leave it out rather than list it.
grep -q 'scripts/install-deps.sh --no-browser' <<<"$build_stage" || err "build stage does not run scripts/install-deps.sh --no-browser"
grep -q 'scripts/install-deps.sh.* --no-test-clients' <<<"$build_stage" ||
  err "build stage does not run scripts/install-deps.sh --no-test-clients"
grep -Eq '(^|[^a-z])(nodejs|npm)([^a-z]|$)' <<<"$build_stage" && err "build stage installs Node.js (tests are off there)"
grep -q -- '-DBUILD_TESTING=OFF' <<<"$build_stage" || err "build stage builds the tests"
grep -q 'cmake -S . -B build' <<<"$build_stage" || err "build stage does not configure with cmake -S . -B build"
grep -q 'cmake --build build' <<<"$build_stage" || err "build stage does not run cmake --build build"
grep -q 'scripts/install-deps.sh' "$src/.ci/run" 2>/dev/null || err ".ci/run no longer runs scripts/install-deps.sh"

# (4) image basics
[ "$(grep -c '^FROM debian:bookworm-slim' "$docker")" -eq 2 ] || err "both stages must be FROM debian:bookworm-slim"
runtime=$(awk '/^FROM /{s++} s==2' "$docker")
grep -Eq '^USER [a-z]' <<<"$runtime" || err "runtime stage has no non-root USER"
grep -Eq '^USER (root|0)' <<<"$runtime" && err "runtime stage runs as root"
grep -q '^VOLUME /data' <<<"$runtime" || err "no VOLUME /data"
grep -q 'QUOTAGUARD_DB_PATH=/data/quotaguard.db' <<<"$runtime" || err "DB path is not /data/quotaguard.db"
grep -A1 '^HEALTHCHECK' <<<"$runtime" | grep -q '/health' || err "HEALTHCHECK does not probe /health"
grep -q '0.0.0.0:8318' <<<"$runtime" || err "runtime does not listen on 0.0.0.0:8318"
# Issue 17: the image runs with the systemd unit's malloc tunables.
unit_tunables=$(sed -n 's/^Environment=GLIBC_TUNABLES=//p' "$src/config/quotaguard.service")
[ -n "$unit_tunables" ] || err "config/quotaguard.service sets no GLIBC_TUNABLES"
grep -qF "GLIBC_TUNABLES=$unit_tunables" <<<"$runtime" || err "Dockerfile's GLIBC_TUNABLES differs from the systemd unit's ($unit_tunables)"
grep -q 'QUOTAGUARD_ADMIN_TOKEN' "$src/docker-compose.yml" || err "docker-compose.yml does not pass QUOTAGUARD_ADMIN_TOKEN"
grep -Eq ':/cliproxy-auth:ro' "$src/docker-compose.yml" || err "docker-compose.yml: auth folder not mounted read-only"

# (5) issue 16 items 11-12: secrets stay out of the build context; CLIProxyAPI's image is pinned
# by version; GitHub forks run the same CI entry point.
grep -Eqx '/?\.env' "$src/.dockerignore" || err ".dockerignore does not exclude .env"
# Item 4: the config is a mounted folder (a missing file would become a directory).
grep -Eq ':/config:ro' "$src/docker-compose.yml" || err "docker-compose.yml: config folder not mounted at /config"
grep -Eq 'QUOTAGUARD_CONFIG_PATH: /config/config.yaml' "$src/docker-compose.yml" ||
  err "docker-compose.yml: QUOTAGUARD_CONFIG_PATH is not /config/config.yaml"
# Item 4: QUICKSTART's Docker steps work as written: every variable the compose file requires
# (${VAR:?...}) is exported there, and the Telegram first-run steps are there.
quickstart="$src/QUICKSTART.md"
for var in $(grep -oE '\$\{[A-Z_]+:\?' "$src/docker-compose.yml" | sed 's/^\${//; s/:?$//' | sort -u); do
  grep -Eq "^export $var=" "$quickstart" || err "QUICKSTART.md: the Docker steps do not export $var (docker-compose.yml requires it)"
done
for step in 'docker compose up -d' 'enabled: true' 'admins:' 'quotaguard settoken' 'QUOTAGUARD_TELEGRAM_TOKEN'; do
  grep -qF -- "$step" "$quickstart" || err "QUICKSTART.md lacks the first-run step '$step'"
done
check_cliproxy_pinned "$src/docker-compose.yml"
grep -Eq 'run:[[:space:]]*\.ci/run' "$src/.github/workflows/ci.yml" 2>/dev/null || err ".github/workflows/ci.yml does not run .ci/run"

# (3) runtime libraries cover what the binary links
if [ -n "$bin" ] && command -v dpkg >/dev/null && command -v ldd >/dev/null; then
  rt=$(docker_stage_packages "$docker" 2)
  base="libc6 libgcc-s1 libstdc++6 zlib1g"
  # What apt installs with the listed packages: their Depends, and those packages' Depends, ...
  # (libpq5 -> libgssapi-krb5-2 -> libkrb5-3 -> ...).
  depends_of() { for p in "$@"; do dpkg-query -W -f='${Depends}\n' "$p" 2>/dev/null; done |
                 tr ',|' '\n\n' | sed 's/(.*//; s/:any//; s/ //g' | sed '/^$/d' | sort -u; }
  pulled=$(depends_of $rt)
  frontier=$pulled
  while [ -n "$frontier" ]; do
    more=$(comm -13 <(echo "$pulled") <(depends_of $frontier))
    pulled=$(printf '%s\n%s\n' "$pulled" "$more" | sed '/^$/d' | sort -u)
    frontier=$more
  done
  libs=$(ldd "$bin" | awk '$3 ~ /^\// {print $3}')
  # One dpkg -S for every library (by link name and by resolved name): "pkg:arch: /path".
  owners=$(dpkg -S $(for l in $libs; do echo "$l" "$(readlink -f "$l")"; done) 2>/dev/null)
  for lib in $libs; do
    pkg=$(grep -F -e ": $lib" -e ": $(readlink -f "$lib")" <<<"$owners" | head -1)
    pkg=${pkg%%:*}
    [ -n "$pkg" ] || { err "no Debian package owns $lib (linked by the binary)"; continue; }
    grep -qx "$pkg" <<<"$rt" && continue
    [[ " $base " == *" $pkg "* ]] && continue
    # A sanitizer build (make test SANITIZE=1, CI) links the sanitizer runtimes; the image
    # never ships such a build.
    [[ "$pkg" =~ ^lib(asan|ubsan|lsan|tsan)[0-9]+$ ]] && continue
    grep -qx "$pkg" <<<"$pulled" && continue
    err "runtime stage lacks $pkg (provides $lib, linked by quotaguard)"
  done
fi

[ $fail -eq 0 ] && echo "deps_sync: Dockerfile build stage == scripts/install-deps.sh ($(install_deps_packages "$deps" | wc -l) packages); runtime covers the binary's libraries"
exit $fail
