#!/usr/bin/env python3
# tests/packaging/compose_cluster_test.py — docker-compose.cluster.yml is consistent with what it
# runs (issue 19 item 5): PostgreSQL, two QuotaGuard nodes, nginx in front.
#
#   compose_cluster_test.py SOURCE_DIR QUOTAGUARD_BINARY
#
# Without a Docker engine (CI) it checks the file itself: it parses; every node builds this
# repository's Dockerfile, has its own host name (= its node id) and reaches the database the
# postgres service creates (user, database, password variable); the config file it mounts exists,
# says storage.backend: postgres, and the real binary's `check` accepts it ("ok   config");
# nginx.conf balances over exactly the node services on the port the Dockerfile EXPOSEs; the
# load balancer publishes that port. Where `docker compose` exists it also runs
# `docker compose -f docker-compose.cluster.yml config -q`. `--self-test` proves a broken copy
# is caught.
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml


def problems_of(src, binary):
    out = []
    compose_path = os.path.join(src, "docker-compose.cluster.yml")
    with open(compose_path) as f:
        compose = yaml.safe_load(f)
    services = compose.get("services", {})
    for name in ("postgres", "nginx"):
        if name not in services:
            out.append(f"no {name} service")
    nodes = {n: s for n, s in services.items() if n.startswith("qg-node")}
    if len(nodes) < 2:
        out.append(f"{len(nodes)} QuotaGuard node(s), want 2")
    with open(os.path.join(src, "Dockerfile")) as f:
        dockerfile = f.read()
    exposed = re.findall(r"^EXPOSE\s+(\d+)", dockerfile, re.M)
    port = exposed[0] if exposed else "?"
    pg = services.get("postgres", {}).get("environment", {})
    hostnames = set()
    for name, s in nodes.items():
        if s.get("build") != ".":
            out.append(f"{name}: does not build this repository's Dockerfile")
        host = s.get("hostname", "")
        if not host or host in hostnames:
            out.append(f"{name}: needs a host name of its own (its node id)")
        hostnames.add(host)
        env = s.get("environment", {})
        dsn = env.get("QUOTAGUARD_POSTGRES_DSN", "")
        m = re.match(r"postgresql://([^:]+):\$\{(\w+)[^}]*\}@postgres:5432/(\w+)$", dsn)
        if not m:
            out.append(f"{name}: QUOTAGUARD_POSTGRES_DSN {dsn!r} does not reach the postgres service")
        elif (m.group(1), m.group(3)) != (pg.get("POSTGRES_USER"), pg.get("POSTGRES_DB")) or \
                f"${{{m.group(2)}" not in str(pg.get("POSTGRES_PASSWORD", "")):
            out.append(f"{name}: DSN user/database/password differ from the postgres service's")
        for key in ("QUOTAGUARD_ADMIN_TOKEN", "QUOTAGUARD_API_KEYS"):
            if key not in env:
                out.append(f"{name}: {key} not passed (a node listening on 0.0.0.0 refuses to start without it)")
        config_in = env.get("QUOTAGUARD_CONFIG_PATH", "")
        mounts = [v.split(":") for v in s.get("volumes", [])]
        local = [m[0] for m in mounts if len(m) >= 2 and m[1] == config_in]
        if not local:
            out.append(f"{name}: nothing mounted at QUOTAGUARD_CONFIG_PATH {config_in}")
            continue
        config_file = os.path.join(src, local[0])
        if not os.path.isfile(config_file):
            out.append(f"{name}: {local[0]} does not exist")
            continue
        with open(config_file) as f:
            cfg = yaml.safe_load(f)
        if cfg.get("storage", {}).get("backend") != "postgres":
            out.append(f"{local[0]}: storage.backend is not postgres")
        if not cfg.get("server", {}).get("listen", "").endswith(":" + port):
            out.append(f"{local[0]}: server.listen is not on the Dockerfile's port {port}")
        env_run = dict(os.environ, QUOTAGUARD_POSTGRES_DSN="postgresql://quotaguard@127.0.0.1:9/quotaguard",
                       QUOTAGUARD_ADMIN_TOKEN="x" * 24, QUOTAGUARD_API_KEYS="k1", HOME=tempfile.gettempdir())
        r = subprocess.run([binary, "check", "--config", config_file], capture_output=True, text=True,
                           env=env_run, timeout=60)
        if not re.search(r"^ok\s+config", r.stdout, re.M):
            out.append(f"{local[0]}: quotaguard check does not accept it:\n{r.stdout}{r.stderr}")
    lb = services.get("nginx", {})
    if not any(str(p).endswith(":" + port) for p in lb.get("ports", [])):
        out.append(f"nginx does not publish port {port}")
    conf_mounts = [v.split(":")[0] for v in lb.get("volumes", []) if ":/etc/nginx/nginx.conf" in v]
    if not conf_mounts or not os.path.isfile(os.path.join(src, conf_mounts[0])):
        out.append("nginx: no nginx.conf of this repository mounted")
    else:
        with open(os.path.join(src, conf_mounts[0])) as f:
            upstreams = set(re.findall(r"^\s*server\s+([\w-]+):(\d+)", f.read(), re.M))
        if upstreams != {(n, port) for n in nodes}:
            out.append(f"nginx.conf balances over {sorted(upstreams)}, the nodes are {sorted(nodes)} on {port}")
    return out


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--self-test":
        src, binary = sys.argv[2], sys.argv[3]
        with tempfile.TemporaryDirectory() as tmp:
            for item in ("docker-compose.cluster.yml", "Dockerfile", "config"):
                p = os.path.join(src, item)
                (shutil.copytree if os.path.isdir(p) else shutil.copy)(p, os.path.join(tmp, item))
            path = os.path.join(tmp, "config/cluster/nginx.conf")
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace("server qg-node-2:8318", "server qg-node-3:8318"))
            if not problems_of(tmp, binary):
                print("self-test: a load balancer missing a node was not caught", file=sys.stderr)
                return 1
        print("self-test: ok")
        return 0
    src, binary = sys.argv[1], sys.argv[2]
    problems = problems_of(src, binary)
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        env = dict(os.environ, POSTGRES_PASSWORD="p", QUOTAGUARD_ADMIN_TOKEN="t", QUOTAGUARD_API_KEYS="k")
        r = subprocess.run(["docker", "compose", "-f", os.path.join(src, "docker-compose.cluster.yml"), "config", "-q"],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            problems.append("docker compose config: " + r.stderr.strip())
    else:
        print("docker compose not available: checked the file, not `docker compose config`")
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print("docker-compose.cluster.yml: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
