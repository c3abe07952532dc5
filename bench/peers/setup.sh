#!/usr/bin/env bash
# setup.sh - idempotent install of the benchmark's tools.
#   apt : nginx-light (mock upstream), wrk (load), curl, sqlite3, iproute2 (ss); hey + nghttp2-client
#         (h2load) as optional cross-checks. Node.js >= 18 (Debian's if absent).
#   npm : @portkey-ai/gateway into $PEERS_DIR/portkey (default /tmp/peers).
#         Nothing is installed globally by npm.
set -euo pipefail
PEERS_DIR=${PEERS_DIR:-/tmp/peers}
PORTKEY_VERSION=${PORTKEY_VERSION:-1.15.2}
# Portkey 1.15.2 + @hono/node-server >= 1.14.2 (what ^1.3.3 resolves to today)
# answers every *streaming* call with 500 "TypeError: immutable"
# (Portkey-AI/gateway issue #1389), so pin the adapter to the last good one.
HONO_NODE_SERVER=${HONO_NODE_SERVER:-1.14.1}
mkdir -p "$PEERS_DIR"

need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk   >/dev/null || need+=(wrk)
command -v curl  >/dev/null || need+=(curl)
command -v hey   >/dev/null || need+=(hey)
command -v h2load >/dev/null || need+=(nghttp2-client)
command -v ss    >/dev/null || need+=(iproute2)
command -v sqlite3 >/dev/null || need+=(sqlite3)   # compare.sh counts the events written
command -v node  >/dev/null || need+=(nodejs npm)
command -v npm   >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}"
fi

# npm_dir <dir> <package.json text> : (re)install when package.json changed
npm_dir() {
  mkdir -p "$1"
  if [ ! -d "$1/node_modules" ] || [ "$(cat "$1/package.json" 2>/dev/null)" != "$2" ]; then
    printf '%s\n' "$2" > "$1/package.json"
    (cd "$1" && npm install --no-audit --no-fund --loglevel=error)
  fi
}
npm_dir "$PEERS_DIR/portkey" "$(printf '{"name":"peers-portkey","private":true,
 "dependencies":{"@portkey-ai/gateway":"%s"},
 "overrides":{"@hono/node-server":"%s"}}' "$PORTKEY_VERSION" "$HONO_NODE_SERVER")"
echo "setup ok: nginx $(nginx -v 2>&1 | cut -d/ -f2), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), node $(node -v)," \
     "portkey $(node -p "require('$PEERS_DIR/portkey/node_modules/@portkey-ai/gateway/package.json').version")," \
     "@hono/node-server $(node -p "require('$PEERS_DIR/portkey/node_modules/@hono/node-server/package.json').version")"
