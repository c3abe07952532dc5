#!/usr/bin/env python3
# tests/docs/interface_coverage_test.py — docs/INTERFACE.md lists exactly what the code has
# (issue 16 item 6).
#
#   interface_coverage_test.py [--self-test] SOURCE_DIR BUILD_DIR
#
# What the code has, asked of the real thing where it can say:
#   config keys        GET /api/v1/export of a live daemon (every key, defaults included)
#   CLI commands       `quotaguard --help`
#   Telegram commands  /qg_help answered through POST /api/v1/telegram/update
#   HTTP routes        the registrations in http/*.cpp and cli/*.cpp: `.Get("/path"`-style calls,
#                      ApiRoutes `routes.get(pattern, "/label", ...)`, register_setting and
#                      register_account_verb
# What the contract says: section 3's yaml block (keys), backticked `METHOD /path` (routes),
# section 1's table (commands), /qg_* and /settoken (Telegram). Anything on one side only fails.
import glob
import json
import os
import re
import subprocess
import sys
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doc_daemon import ADMIN_TOKEN, DocDaemon  # noqa: E402

METHODS = "GET|POST|PUT|DELETE|PATCH"


def key_paths(node, prefix=""):
    out = set()
    if isinstance(node, dict):
        for k, v in node.items():
            path = f"{prefix}.{k}" if prefix else str(k)
            out.add(path)
            if path != "router.fallback_chains":  # its keys are model names
                out |= key_paths(v, path)
    elif isinstance(node, list):
        for item in node:
            out |= key_paths(item, prefix + "[]")
    return out


def norm(path):
    # "/dashboard/" and "/dashboard" are one route to a reader
    return path.rstrip("/") or "/"


def code_routes(src):
    routes = set()
    files = glob.glob(os.path.join(src, "http", "*.cpp")) + glob.glob(os.path.join(src, "cli", "*.cpp"))
    for path in files:
        text = open(path, encoding="utf-8").read()
        for m in re.finditer(r'\.(Get|Post|Put|Delete|Patch)\(\s*"(/[^"]*)"', text):
            routes.add((m.group(1).upper(), norm(m.group(2))))
        # Bodies read with a bound (http/bounded_body.hpp): post_bounded(server, "/path", ...).
        for m in re.finditer(r'\b(post|put)_bounded\(\s*\w+\s*,\s*"(/[^"]*)"', text):
            routes.add((m.group(1).upper(), norm(m.group(2))))
        for m in re.finditer(r'routes\.(get|post|put|del|patch)\w*\(\s*(?:R"\([^"]*?\)"|"[^"]*"|\w+)[^,;]*,\s*"(/[^"]*)"\s*,', text):
            routes.add(({"del": "DELETE"}.get(m.group(1), m.group(1).upper()), norm(m.group(2))))
        settings = re.findall(r'register_setting\(\s*routes\s*,\s*\w+\s*,\s*"(\w+)"', text)
        # `for (const char* key : {"a", "b"}) register_setting(routes, ops, key);`
        for loop in re.finditer(r'for \(const char\* (\w+) : \{([^}]*)\}\)\s*register_setting\(\s*routes\s*,\s*\w+\s*,\s*\1\)', text):
            settings += re.findall(r'"(\w+)"', loop.group(2))
        for key in settings:
            routes.add(("GET", "/api/v1/" + key))
            routes.add(("PUT", "/api/v1/" + key))
        for m in re.finditer(r'register_account_verb\(\s*routes\s*,\s*\w+\s*,\s*"([\w-]+)"', text):
            routes.add(("POST", "/api/v1/accounts/{id}/" + m.group(1)))
    return routes


def doc_routes(doc):
    routes = set()
    for m in re.finditer(r"`((?:%s)(?:\|(?:%s))*) (/[^\s`?]*)" % (METHODS, METHODS), doc):
        for method in m.group(1).split("|"):
            routes.add((method, norm(m.group(2))))
    return routes


def doc_config_keys(doc):
    section = doc[doc.index("## 3."):doc.index("## 4.")]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    return key_paths(yaml.safe_load(block))


def doc_cli_commands(doc):
    section = doc[doc.index("## 1."):doc.index("## 2.")]
    return set(re.findall(r"^\| `([a-z]+)", section, re.M))


def doc_telegram_commands(doc):
    return set(re.findall(r"/(qg_[a-z_]+|settoken)\b", doc))


def compare(kind, code, doc, problems):
    for item in sorted(code - doc):
        problems.append(f"{kind} in the code, missing from docs/INTERFACE.md: {item}")
    for item in sorted(doc - code):
        problems.append(f"{kind} in docs/INTERFACE.md, not in the code: {item}")


def http(daemon, method, path, body=None):
    req = urllib.request.Request(daemon.url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + ADMIN_TOKEN,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def code_facts(src, build):
    daemon = DocDaemon(build).start()
    try:
        keys = key_paths(yaml.safe_load(http(daemon, "GET", "/api/v1/export")))
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/qg_help",
                                              "chat": {"id": 1, "type": "private"},
                                              "from": {"id": 1, "is_bot": False, "first_name": "a"}}}
        reply = http(daemon, "POST", "/api/v1/telegram/update", update)
        telegram = set(re.findall(r"/(qg_[a-z_]+|settoken)\b", json.loads(reply).get("text", "")))
        help_text = subprocess.run([daemon.binary, "--help"], capture_output=True, text=True).stdout
        cli = set(re.findall(r"^  ([a-z]+) ", help_text.split("Subcommands:")[1], re.M))
    finally:
        daemon.stop()
    return {"config key": keys, "route": code_routes(src), "CLI command": cli, "Telegram command": telegram}


def check(facts, doc):
    problems = []
    compare("config key", facts["config key"], doc_config_keys(doc), problems)
    compare("route", facts["route"], doc_routes(doc), problems)
    compare("CLI command", facts["CLI command"], doc_cli_commands(doc), problems)
    compare("Telegram command", facts["Telegram command"], doc_telegram_commands(doc), problems)
    return problems


def main():
    self_test = sys.argv[1] == "--self-test"
    src, build = (sys.argv[2:] if self_test else sys.argv[1:])[:2]
    doc = open(os.path.join(src, "docs", "INTERFACE.md"), encoding="utf-8").read()
    facts = code_facts(src, build)
    for kind, items in facts.items():
        if len(items) < 3:
            print(f"found only {len(items)} {kind}s in the code: the extraction broke", file=sys.stderr)
            return 1
    if self_test:
        drifted = doc.replace("`/qg_reload`", "").replace("`POST /api/v1/reload`", "")
        problems = check(facts, drifted)
        want = ["Telegram command in the code, missing from docs/INTERFACE.md: qg_reload",
                "route in the code, missing from docs/INTERFACE.md: ('POST', '/api/v1/reload')"]
        missing = [w for w in want if w not in problems]
        if missing:
            print("self-test: drift not reported: " + "; ".join(missing), file=sys.stderr)
            return 1
        print("self-test: drift reported")
        return 0
    problems = check(facts, doc)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("docs/INTERFACE.md matches the code: " +
              ", ".join(f"{len(v)} {k}s" for k, v in facts.items()))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
