#!/usr/bin/env python3
# tests/docs/doc_examples_test.py — the docs' shell examples, run (issue 16 item 6).
#
#   doc_examples_test.py SOURCE_DIR BUILD_DIR
#
# Every fenced block opened with "```sh runnable" in README.md, QUICKSTART.md, RUNBOOK.md and
# docs/*.md is run against a live daemon (tests/docs/doc_daemon.py: fake provider behind it,
# accounts openai-main and a1, client key demo-key, QUOTAGUARD_ADMIN_TOKEN set). The blocks of
# one file run in order in one `bash -euo pipefail` session (an `export` in one block holds for
# the next), with `127.0.0.1:8318` / `localhost:8318` pointed at the live daemon and
# `quotaguard` / `./quotaguard` the binary under test. A block fails the test when any command
# in it fails (curl included: an HTTP error status counts). Blocks not marked runnable (installation, systemd, Docker) are only shown.
# `--self-test` proves a failing example is caught.
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doc_daemon import DocDaemon  # noqa: E402

FENCE = re.compile(r"^```sh runnable\s*$")


def doc_files(src):
    names = ["README.md", "QUICKSTART.md", "RUNBOOK.md"]
    names += sorted(os.path.join("docs", n) for n in os.listdir(os.path.join(src, "docs")) if n.endswith(".md"))
    return [n for n in names if os.path.exists(os.path.join(src, n))]


def runnable_blocks(text):
    blocks, current, start = [], None, 0
    for number, line in enumerate(text.splitlines(), 1):
        if current is None:
            if FENCE.match(line):
                current, start = [], number
        elif line.startswith("```"):
            blocks.append((start, "\n".join(current)))
            current = None
        else:
            current.append(line)
    return blocks


def run_file(daemon, name, blocks):
    host = f"127.0.0.1:{daemon.port}"
    # curl as the docs write it (`curl -s ...`) exits 0 on an HTTP error: here an error status
    # fails the example too.
    script = ["set -euo pipefail", "cd \"$QG_DOCS_DIR\"",
              'curl() { command curl --fail-with-body "$@"; }']
    for start, body in blocks:
        body = body.replace("127.0.0.1:8318", host).replace("localhost:8318", host)
        script.append(f"echo '>>> {name}:{start}' >&2")
        script.append(body)
    env = dict(daemon.env, QG_DOCS_DIR=daemon.dir)
    r = subprocess.run(["bash", "-c", "\n".join(script)], env=env, cwd=daemon.dir,
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        last = re.findall(r">>> (\S+)", r.stderr)
        print(f"FAIL {last[-1] if last else name}: exit {r.returncode}\n--- stdout\n{r.stdout[-3000:]}"
              f"\n--- stderr\n{r.stderr[-3000:]}", file=sys.stderr)
        return False
    print(f"ok   {name}: {len(blocks)} runnable block(s)")
    return True


def main():
    self_test = sys.argv[1] == "--self-test"
    args = sys.argv[2:] if self_test else sys.argv[1:]
    src, build = args[0], args[1]
    daemon = DocDaemon(build).start()
    try:
        if self_test:
            bad = [(1, "curl -sf http://127.0.0.1:8318/no/such/route")]
            if run_file(daemon, "self-test.md", bad):
                print("self-test: a failing example was not caught", file=sys.stderr)
                return 1
            print("self-test: a failing example is reported")
            return 0
        ok, total = True, 0
        for name in doc_files(src):
            blocks = runnable_blocks(open(os.path.join(src, name), encoding="utf-8").read())
            if not blocks:
                continue
            total += len(blocks)
            ok = run_file(daemon, name, blocks) and ok
        if total < 6:
            print(f"only {total} runnable blocks found: the markers were lost?", file=sys.stderr)
            ok = False
        if not ok:
            print("--- daemon log (tail)\n" + daemon.log()[-4000:], file=sys.stderr)
        return 0 if ok else 1
    finally:
        daemon.stop()


if __name__ == "__main__":
    sys.exit(main())
