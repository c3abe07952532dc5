#!/usr/bin/env bash
# bench/proxy/idle_connections.sh — does a crowd of idle connections delay a normal request?
# (issue 15 item 10; target: a request answers in <= 50 ms with 5,000 idle connections open)
#
# One quotaguard in front of qg-fake-provider. A normal request is a new connection sending one
# chat completion. It is timed REQUESTS times with no other connection open (the reference),
# then IDLE connections are opened — half send one GET /health and stay on keep-alive, half
# send nothing — and the same requests are timed again while they are all open. Prints
# median / p99 / max of both runs, their ratio, and how many idle connections were still open
# after the second run (the keep-alive half is closed by the server's keep-alive timeout, 5 s).
# Also prints QuotaGuard's RSS before and after the idle connections opened, and the
# difference: what they cost (issue 17 target: 1,000 idle keep-alive clients <= 64 MB, measured
# with IDLE=1000 KEEPALIVE_ONLY=1: every connection sent one request and stays on keep-alive),
# and the CPU QuotaGuard burns over 2 s while they idle (before issue 17's keep-alive fix each
# idle keep-alive connection woke its thread ~180 times a second: http/keep_alive_server.hpp).
#   bench/proxy/idle_connections.sh
#   IDLE=2000 REQUESTS=100 bench/proxy/idle_connections.sh
#   IDLE=1000 KEEPALIVE_ONLY=1 bench/proxy/idle_connections.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
qg="$(realpath "${QUOTAGUARD_BIN:-$build/cli/quotaguard}")"
fake="${FAKE_PROVIDER_BIN:-$build/tests/fakes/qg-fake-provider}"
IDLE=${IDLE:-5000}; REQUESTS=${REQUESTS:-50}; QG_PORT=${QG_PORT:-9003}; KEEPALIVE_ONLY=${KEEPALIVE_ONLY:-0}
source "$(dirname "$0")/qg_instance.sh"
bench_begin idle

start_fake --models m
QG_MAX_CONNECTIONS=$((IDLE + 256)) start_qg idle "$QG_PORT" "http://127.0.0.1:$fport/v1"

python3 - "$QG_PORT" "$IDLE" "$REQUESTS" "$QG_PID_idle" "$KEEPALIVE_ONLY" <<'PY'
import os, resource, socket, statistics, sys, time
port, idle, requests, pid, keepalive_only = (int(a) for a in sys.argv[1:])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
body = b'{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'
chat = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

def normal_request():
    start = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(chat)
    reply = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
    s.close()
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    return (time.perf_counter() - start) * 1000

def timed(label):
    ms = sorted(normal_request() for _ in range(requests))
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{label:<28} median {statistics.median(ms):7.2f} ms  p99 {p99:7.2f} ms  max {ms[-1]:7.2f} ms")
    return statistics.median(ms), ms[-1]

def cpu_s():  # the daemon's user + system CPU time so far
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0

for _ in range(10):
    normal_request()  # warm
base_median, base_max = timed("no idle connections")
rss_before = rss_mb()
t0 = time.perf_counter()
conns = []
for i in range(idle):
    s = socket.create_connection(("127.0.0.1", port))
    if keepalive_only or i % 2 == 0:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    conns.append(s)
answered = 0
for s in (conns if keepalive_only else conns[::2]):
    s.settimeout(30)
    if s.recv(65536).startswith(b"HTTP/1.1 200"):
        answered += 1
rss_after = rss_mb()
print(f"opened {len(conns)} idle connections in {time.perf_counter() - t0:.1f} s "
      f"({answered} answered once, now on keep-alive); quotaguard RSS {rss_before:.1f} MB before, "
      f"{rss_after:.1f} MB with them open: they cost {rss_after - rss_before:.1f} MB "
      f"({(rss_after - rss_before) * 1024 / max(len(conns), 1):.1f} KiB each)")
c0, w0 = cpu_s(), time.perf_counter()
time.sleep(2)
print(f"quotaguard CPU while they idle (2 s): {100 * (cpu_s() - c0) / (time.perf_counter() - w0):.1f} % of a core")
median, worst = timed(f"{idle} idle connections open")
still_open = 0
for s in conns:
    s.setblocking(False)
    try:
        still_open += s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        still_open += 1
    except OSError:
        pass
print(f"still open after the timed run: {still_open} of {len(conns)}")
print(f"ratio (idle / none): median {median / base_median:.2f}x, max {worst / max(base_max, 0.001):.2f}x; "
      f"target max <= 50 ms: {'met' if worst <= 50 else 'MISSED'}")
for s in conns:
    s.close()
PY
