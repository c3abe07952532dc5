#!/usr/bin/env python3
# tests/docs/bench_commands_test.py — the benchmark commands docs/PERFORMANCE.md shows still name
# what exists.
#
#   bench_commands_test.py SOURCE_DIR
#
# The benchmarks themselves stay out of the test suite (issue 17: no timed assertions in `make
# test`; they need the peers, minutes and a quiet machine). What is checked is every command line
# in PERFORMANCE.md's fenced blocks, and each inline one (`make bench-idle` in a table), that
# runs a benchmark: a `bench/...` script exists and parses (a .sh is executable and passes
# `bash -n`, a .py compiles), a `make <target>` is a
# target of the Makefile, and each `NAME=value` set in front of either is read somewhere under
# bench/ or in the Makefile (a knob no script reads any more is drift). Placeholders (`<ref>`)
# are skipped. `--self-test` proves a missing script and an unread knob are caught.
import os
import re
import shlex
import subprocess
import sys

FENCE = re.compile(r"^```")
ASSIGN = re.compile(r"^([A-Z][A-Z0-9_]*)=")


INLINE = re.compile(r"`((?:[A-Z][A-Z0-9_]*=\S+ )*(?:bench/\S+\.(?:sh|py)|make bench)[^`]*)`")


def command_lines(text):
    """Command lines of the fenced blocks (continuations joined, comments dropped) and the
    inline ones (`make bench-streams` in a table cell)."""
    lines, inside, pending = [], False, ""
    for line in text.splitlines():
        if FENCE.match(line):
            inside, pending = not inside, ""
            continue
        if not inside:
            lines += INLINE.findall(line)
            continue
        line = pending + line.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        code = re.sub(r"\s#.*$", "", line).strip()
        if code and not code.startswith("#"):
            lines.append(code)
    return lines


def knob_read(src, name, cache={}):
    if "text" not in cache:
        texts = []
        for root, _, files in os.walk(os.path.join(src, "bench")):
            for f in files:
                if f.endswith((".sh", ".py", ".lua", ".js", ".cpp")) or f == "Makefile":
                    texts.append(open(os.path.join(root, f), encoding="utf-8", errors="replace").read())
        texts.append(open(os.path.join(src, "Makefile"), encoding="utf-8").read())
        cache["text"] = "\n".join(texts)
    return re.search(r"\b" + re.escape(name) + r"\b", cache["text"]) is not None


def check_line(src, line, make_targets):
    """(whether `line` runs a benchmark, its problems)."""
    try:
        words = shlex.split(line, comments=False)
    except ValueError:
        return False, []
    knobs = []
    while words and ASSIGN.match(words[0]):
        knobs.append(ASSIGN.match(words[0]).group(1))
        words = words[1:]
    if not words:
        return False, []
    problems = []
    tool = words[0]
    if tool == "make" and len(words) > 1 and words[1].startswith("bench"):
        if words[1] not in make_targets:
            problems.append(f"make {words[1]}: no such target in the Makefile")
    elif tool.startswith("bench/") and tool.endswith((".sh", ".py")) and "<" not in tool:
        path = os.path.join(src, tool)
        if not os.path.isfile(path):
            problems.append(f"{tool}: no such file")
        elif tool.endswith(".sh") and not os.access(path, os.X_OK):
            problems.append(f"{tool}: not executable")
        elif tool.endswith(".sh"):
            r = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
            if r.returncode != 0:
                problems.append(f"{tool}: bash -n: {r.stderr.strip()}")
        elif tool.endswith(".py"):
            try:  # compiled in memory: py_compile would leave a __pycache__ in the tree
                compile(open(path, encoding="utf-8").read(), path, "exec")
            except SyntaxError as e:
                problems.append(f"{tool}: {e}")
    else:
        return False, []
    for k in knobs:
        if not knob_read(src, k):
            problems.append(f"{k}=: read by no script under bench/ nor the Makefile")
    return True, problems


def check_text(src, text):
    makefile = open(os.path.join(src, "Makefile"), encoding="utf-8").read()
    targets = set(re.findall(r"^([A-Za-z0-9_.-]+):", makefile, re.M))
    checked, problems = 0, []
    for line in command_lines(text):
        is_bench, p = check_line(src, line, targets)
        checked += is_bench
        problems += [f"{line}\n    {x}" for x in p]
    return checked, problems


def main():
    self_test = sys.argv[1] == "--self-test"
    src = sys.argv[2] if self_test else sys.argv[1]
    if self_test:
        bad = "```\nbench/proxy/no_such_bench.sh\nNO_SUCH_KNOB_EVER=1 bench/proxy/compare.sh\nmake bench-nothing\n```\n"
        _, problems = check_text(src, bad)
        if len(problems) != 3:
            print(f"self-test: expected 3 problems, got {problems}", file=sys.stderr)
            return 1
        print("self-test: a missing script, an unread knob and a missing target are reported")
        return 0
    text = open(os.path.join(src, "docs", "PERFORMANCE.md"), encoding="utf-8").read()
    checked, problems = check_text(src, text)
    for p in problems:
        print("FAIL " + p, file=sys.stderr)
    if checked < 10:
        print(f"only {checked} benchmark commands found in PERFORMANCE.md: the parser lost them?", file=sys.stderr)
        return 1
    print(f"{checked} benchmark command lines checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
