#!/usr/bin/env bash
# fuzz/run_fuzz.sh BUILD_DIR [TARGET...] — runs each libFuzzer target for $FUZZ_SECONDS
# (default 30) on a corpus in BUILD_DIR/fuzz-corpus/<target>, seeded from fuzz/seeds and
# tests/fixtures (converted to each target's input layout, see fuzz/fuzz_input.hpp).
# Crashes land in BUILD_DIR/fuzz-artifacts/; exit 1 if any target found one. One summary
# line per target: inputs executed, corpus size, findings.
set -uo pipefail
build=${1:?usage: run_fuzz.sh BUILD_DIR [TARGET...]}; shift
src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-30}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(request_parser ratelimit config auth_file telegram_update event_codec json_depth request_framing sse_relay settings http1_response)

seed_corpus() {  # target corpus_dir
  local t=$1 dir=$2
  mkdir -p "$dir"
  [ -d "$src/fuzz/seeds/$t" ] && cp "$src/fuzz/seeds/$t"/* "$dir/" 2>/dev/null
  case $t in
    config)
      cp "$src/config/example.yaml" "$dir/example.yaml"
      cp "$src"/tests/fixtures/config/*.yaml "$dir/" 2>/dev/null ;;
    auth_file)  # name NUL bytes
      for f in "$src"/tests/fixtures/cliproxy/auth-types/*.json; do
        { printf '%s\0' "$(basename "$f")"; cat "$f"; } > "$dir/$(basename "$f").bin"
      done ;;
    ratelimit)  # status selector, body, NUL, header name NUL value ... (from the .http/.json samples)
      python3 - "$src/tests/fixtures/upstream" "$dir" <<'PY'
import os, sys
src, out = sys.argv[1], sys.argv[2]
sel = {200: b'0', 400: b'1', 401: b'2', 403: b'3', 404: b'4', 429: b'5', 500: b'6', 503: b'7'}
for name in sorted(os.listdir(src)):
    raw = open(os.path.join(src, name), 'rb').read()
    status, headers, body = 429, [], raw
    if name.endswith('.http'):
        head, _, body = raw.replace(b'\r\n', b'\n').partition(b'\n\n')
        lines = head.split(b'\n')
        status = int(lines[0].split()[1])
        for l in lines[1:]:
            k, _, v = l.partition(b':')
            headers += [k.strip(), v.strip()]
    data = sel.get(status, b'5') + body + b''.join(b'\0' + h for h in headers)
    open(os.path.join(out, name + '.bin'), 'wb').write(data)
PY
      ;;
  esac
}

failed=0
mkdir -p "$build/fuzz-artifacts"
for t in "${targets[@]}"; do
  exe="$build/fuzz/qg_fuzz_$t"
  [ -x "$exe" ] || { echo "fuzz: $exe not built (make fuzz builds it)" >&2; failed=1; continue; }
  corpus="$build/fuzz-corpus/$t"
  seed_corpus "$t" "$corpus"
  log="$build/fuzz-artifacts/$t.log"
  "$exe" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/fuzz-artifacts/$t-" "$corpus" > "$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  units=$(ls "$corpus" | wc -l)
  if [ $rc -ne 0 ]; then
    failed=1
    echo "fuzz $t: FINDING after ${execs:-?} inputs (exit $rc); reproducer: $(ls -t "$build/fuzz-artifacts/$t-"* 2>/dev/null | head -1); log: $log"
    grep -m3 -E 'ERROR: |runtime error|SUMMARY' "$log" | sed 's/^/    /'
  else
    echo "fuzz $t: ${execs:-?} inputs in ${seconds}s, corpus $units, no findings"
  fi
done
exit $failed
