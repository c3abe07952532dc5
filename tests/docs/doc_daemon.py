# tests/docs/doc_daemon.py — a live QuotaGuard in front of a fake provider, for the docs tests.
#
# Starts qg-fake-provider and `quotaguard serve` on free ports in a temp dir with the accounts
# the docs' examples name (openai-main, a1), client key demo-key, admin token from
# QUOTAGUARD_ADMIN_TOKEN, Telegram admin 1 (updates through the admin API only).
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

ADMIN_TOKEN = "docs-admin-token-0123456789"
CLIENT_KEY = "demo-key"


def _wait_port(log_path, proc, what, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {open(log_path).read()}")
        m = re.search(r"listening on [0-9.]+:(\d+)", open(log_path, errors="replace").read())
        if m:
            return int(m.group(1))
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen: {open(log_path).read()}")


def _free_port():
    # The daemon must listen where its own config says (`quotaguard quotas` reads server.listen).
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DocDaemon:
    def __init__(self, build_dir):
        self.build_dir = os.path.abspath(build_dir)
        self.binary = os.path.join(self.build_dir, "cli", "quotaguard")
        self.dir = tempfile.mkdtemp(prefix="qg-docs-")
        self.procs = []

    def start(self):
        fake_log = os.path.join(self.dir, "fake.log")
        fake = subprocess.Popen([os.path.join(self.build_dir, "tests", "fakes", "qg-fake-provider"),
                                 "--port", "0", "--models", "gpt-4o-mini,gpt-4o"],
                                stdout=subprocess.DEVNULL, stderr=open(fake_log, "w"))
        self.procs.append(fake)
        fake_port = _wait_port(fake_log, fake, "qg-fake-provider")
        self.config = os.path.join(self.dir, "config.yaml")
        accounts = ""
        for account in ("openai-main", "a1"):
            accounts += (f"  - id: {account}\n    provider: openai\n"
                         f"    base_url: \"http://127.0.0.1:{fake_port}/v1\"\n"
                         f"    api_key: \"sk-docs-{account}\"\n"
                         "    limits:\n      - {metric: requests, window: 1d, limit: 1000}\n")
        with open(self.config, "w") as f:
            f.write(f"server:\n  listen: \"127.0.0.1:{_free_port()}\"\n"
                    f"  api_keys: [\"{CLIENT_KEY}\"]\n  admin_token: \"${{QUOTAGUARD_ADMIN_TOKEN}}\"\n"
                    f"storage:\n  db_path: \"{self.dir}/quotaguard.db\"\n"
                    "telegram:\n  admins: [1]\n"
                    f"accounts:\n{accounts}")
        self.env = {"PATH": self.dir + ":" + os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": self.dir, "LANG": "C.UTF-8",
                    "QUOTAGUARD_ADMIN_TOKEN": ADMIN_TOKEN,
                    "QUOTAGUARD_CONFIG_PATH": self.config}
        # `make test-postgres` runs this under `qg_postgres_fixture exec`: the daemon and the
        # examples then keep their log in the database it names (tests/README.md).
        for name in ("QUOTAGUARD_STORAGE_BACKEND", "QUOTAGUARD_POSTGRES_DSN"):
            if os.environ.get(name):
                self.env[name] = os.environ[name]
        os.symlink(self.binary, os.path.join(self.dir, "quotaguard"))
        log = os.path.join(self.dir, "daemon.log")
        daemon = subprocess.Popen([self.binary, "serve"], cwd=self.dir, env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        self.procs.append(daemon)
        self.port = _wait_port(log, daemon, "quotaguard serve")
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/ready", timeout=2).status == 200:
                    return self
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("daemon not ready: " + open(log).read())

    def log(self):
        return open(os.path.join(self.dir, "daemon.log"), errors="replace").read()

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
