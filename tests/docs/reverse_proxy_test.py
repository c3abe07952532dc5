#!/usr/bin/env python3
# tests/docs/reverse_proxy_test.py — docs/TLS.md's nginx set-up, run (issue 16 item 9).
#
#   reverse_proxy_test.py SOURCE_DIR BUILD_DIR
#
# Takes the ```nginx block of docs/TLS.md as written, changes only what a test must (the port,
# a self-signed pair from the openssl CLI, paths for a non-root nginx) and runs Debian's nginx
# with it in front of a live daemon (tests/docs/doc_daemon.py). Over HTTPS through nginx:
# /health answers, a streamed chat completion arrives as SSE chunks, a client's x-request-id
# comes back unchanged. Skips (exit 77) only when nginx is not installed.
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doc_daemon import CLIENT_KEY, DocDaemon  # noqa: E402


def nginx_block(doc):
    m = re.search(r"```nginx\n(.*?)```", doc, re.S)
    if not m:
        raise SystemExit("docs/TLS.md has no ```nginx block")
    return m.group(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def curl(args):
    return subprocess.run(["curl", "-sS", "--max-time", "20"] + args, capture_output=True, text=True)


def main():
    src, build = sys.argv[1], sys.argv[2]
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not nginx:
        print("nginx not installed: skipped")
        return 77
    block = nginx_block(open(os.path.join(src, "docs", "TLS.md"), encoding="utf-8").read())
    work = tempfile.mkdtemp(prefix="qg-nginx-")
    daemon = DocDaemon(build).start()
    proc = None
    try:
        crt, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=qg.example.com", "-addext", "subjectAltName=DNS:qg.example.com",
                        "-keyout", key, "-out", crt], check=True, capture_output=True)
        port = free_port()
        server = block.replace("listen 443", f"listen 127.0.0.1:{port}")
        server = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {crt};", server)
        server = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", server)
        server = server.replace("127.0.0.1:8318", f"127.0.0.1:{daemon.port}")
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"daemon off;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
                    "events {}\nhttp {\n"
                    f"  access_log off;\n  client_body_temp_path {work}/body;\n"
                    f"  proxy_temp_path {work}/proxy;\n  fastcgi_temp_path {work}/fcgi;\n"
                    f"  uwsgi_temp_path {work}/uwsgi;\n  scgi_temp_path {work}/scgi;\n"
                    + server + "}\n")
        check = subprocess.run([nginx, "-t", "-c", conf, "-p", work], capture_output=True, text=True)
        if check.returncode != 0:
            print("docs/TLS.md's nginx block does not load:\n" + check.stderr, file=sys.stderr)
            return 1
        proc = subprocess.Popen([nginx, "-c", conf, "-p", work], stderr=subprocess.DEVNULL)
        resolve = ["--resolve", f"qg.example.com:{port}:127.0.0.1", "--cacert", crt]
        base = f"https://qg.example.com:{port}"
        for _ in range(100):
            r = curl(resolve + ["-o", "/dev/null", "-w", "%{http_code}", base + "/health"])
            if r.stdout == "200":
                break
            time.sleep(0.1)
        problems = []
        if r.stdout != "200":
            problems.append(f"/health through nginx: {r.stdout} {r.stderr}")
        body = ('{"model":"gpt-4o-mini","stream":true,'
                '"messages":[{"role":"user","content":"hello through nginx"}]}')
        r = curl(resolve + ["-N", "-D", "-", "-H", f"Authorization: Bearer {CLIENT_KEY}",
                            "-H", "Content-Type: application/json", "-H", "x-request-id: nginx-doc-1",
                            "-d", body, base + "/v1/chat/completions"])
        out = r.stdout
        if "text/event-stream" not in out or out.count("data: ") < 2 or "data: [DONE]" not in out:
            problems.append("streamed chat completion through nginx is not SSE: " + out[:400] + r.stderr)
        if not re.search(r"(?im)^x-request-id: nginx-doc-1\r?$", out):
            problems.append("x-request-id did not come back unchanged through nginx")
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            return 1
        print(f"nginx (docs/TLS.md) in front of quotaguard: HTTPS /health 200, SSE stream, x-request-id kept")
        return 0
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=20)
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
