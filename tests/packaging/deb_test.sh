#!/usr/bin/env bash
# tests/packaging/deb_test.sh — the .deb `make package` builds, checked (issue 16 item 11).
#
#   deb_test.sh BUILD_DIR
#
# Always: builds the package with cpack into a temp dir; its control part has the maintainer
# scripts (postinst: system user, /var/lib/quotaguard, systemd daemon-reload) and the conffile;
# the unit runs as the package's user; the packaged config starts as installed — the unit's
# ExecStart, run from the unpacked package with the unit's Environment=, answers /health
# (only --listen is added, so a busy 8318 on a developer machine does not matter).
# With QG_TEST_DEB_INSTALL=1 as root (CI sets it in .ci/run): `dpkg -i`, the user and state
# directory exist, the installed unit's command (as user quotaguard, on 8318) answers /health,
# then `dpkg --purge` removes it again.
set -uo pipefail
build=$(cd "${1:?usage: deb_test.sh BUILD_DIR}" && pwd)
tmp=$(mktemp -d); pid=""; installed=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  [ -n "$installed" ] && dpkg --purge quotaguard >/dev/null 2>&1  # never leave it installed
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "deb_test: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) || fail "cpack failed: $(tail -5 "$tmp/cpack.log")"
deb=$(ls "$tmp"/out/quotaguard_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb produced"
dpkg-deb -e "$deb" "$tmp/control" || fail "dpkg-deb -e failed"
for script in postinst prerm postrm conffiles; do
  [ -f "$tmp/control/$script" ] || fail "control part lacks $script"
done
grep -q 'useradd --system' "$tmp/control/postinst" || fail "postinst creates no system user"
grep -q '/var/lib/quotaguard' "$tmp/control/postinst" || fail "postinst makes no state directory"
grep -q 'daemon-reload' "$tmp/control/postinst" || fail "postinst does not reload systemd"
grep -qx '/etc/quotaguard/config.yaml' "$tmp/control/conffiles" || fail "config.yaml is not a conffile"
dpkg-deb -x "$deb" "$tmp/root" || fail "dpkg-deb -x failed"
unit="$tmp/root/lib/systemd/system/quotaguard.service"
[ -f "$unit" ] || fail "no systemd unit in the package"
grep -qx 'User=quotaguard' "$unit" || fail "the unit does not run as the package's user"
grep -q 'DynamicUser' "$unit" && fail "the unit still uses DynamicUser"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ "${exec_start%% *}" = /usr/bin/quotaguard ] || fail "ExecStart is not /usr/bin/quotaguard: $exec_start"
mapfile -t unit_env < <(sed -n 's/^Environment=//p' "$unit")
grep -qx 'Environment=GLIBC_TUNABLES=glibc.malloc.tcache_max=256' "$unit" || fail "the unit does not limit malloc's per-thread cache to small blocks"

health() {  # health PORT -> 0 when /health answers 200 within 20 s
  for _ in $(seq 1 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/health")" = 200 ] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop_daemon() {
  kill -TERM "$pid"; wait "$pid"; local code=$?; pid=""
  [ $code -eq 0 ] || fail "$1: exit $code after SIGTERM: $(tail -5 "$tmp/$1.log")"
}

# The unpacked package, as its unit would start it (state and port moved into the temp dir).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/state"
env -i PATH=/usr/bin:/bin HOME="$tmp/state" "${unit_env[@]}" \
    QUOTAGUARD_CONFIG_PATH="$tmp/root/etc/quotaguard/config.yaml" QUOTAGUARD_DB_PATH="$tmp/state/quotaguard.db" \
    "$tmp/root${exec_start%% *}" ${exec_start#* } --listen "127.0.0.1:$port" >"$tmp/unpacked.log" 2>&1 &
pid=$!
health "$port" || fail "the packaged config does not start: $(tail -5 "$tmp/unpacked.log")"
stop_daemon unpacked
echo "deb_test: $(basename "$deb"): maintainer scripts, conffile, unit ok; packaged config starts (/health 200)"

[ "${QG_TEST_DEB_INSTALL:-}" = 1 ] || { echo "deb_test: dpkg -i skipped (QG_TEST_DEB_INSTALL=1 as root runs it; CI does)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "deb_test: dpkg -i skipped: QG_TEST_DEB_INSTALL=1 but not root"; exit 0; }
installed=1
dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || fail "dpkg -i failed: $(tail -5 "$tmp/dpkg.log")"
getent passwd quotaguard >/dev/null || fail "postinst did not create the user quotaguard"
[ "$(stat -c %U /var/lib/quotaguard)" = quotaguard ] || fail "/var/lib/quotaguard is not owned by quotaguard"
# setpriv execs (no wrapper process): $pid is the daemon, as systemd would run it.
setpriv --reuid=quotaguard --regid=quotaguard --clear-groups \
    env -i PATH=/usr/bin:/bin HOME=/var/lib/quotaguard "${unit_env[@]}" $exec_start >"$tmp/installed.log" 2>&1 &
pid=$!
health 8318 || fail "the installed unit's command does not answer /health: $(tail -5 "$tmp/installed.log")"
stop_daemon installed
dpkg --purge quotaguard >"$tmp/purge.log" 2>&1 || fail "dpkg --purge failed: $(tail -5 "$tmp/purge.log")"
installed=""
[ -e /var/lib/quotaguard ] && fail "purge left /var/lib/quotaguard"
echo "deb_test: dpkg -i, the installed unit's command answers /health on 8318, dpkg --purge"
exit 0
