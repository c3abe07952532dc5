#!/usr/bin/env bash
# scripts/check_includes.sh ROOT — fails when a source file includes a folder its README forbids.
#
# Each folder's README.md states its rule in two lines (docs/ARCHITECTURE.md explains them):
#   May include: messages/, config/.       repository folders this folder's files may include
#   Must not include: <caf/, <httplib.h>.  system headers (prefixes) they must never include
# A file follows the README nearest above it that has a "May include:" line (so
# actors/control/README.md can allow more than actors/README.md). A file may always include
# its own top folder. Top folders whose own README has no such line (cli/, tests/, bench/,
# fuzz/) are not checked: they may include everything. Prints one line per violation; exit 1
# if any.
set -euo pipefail
root=${1:?usage: check_includes.sh ROOT}
cd "$root"

# The rules: "RULE <folder> <allowed prefixes...> | <banned prefixes...>", one line per README.
rules=$(find . -path ./build -prune -o -path './build-*' -prune -o -path ./.git -prune -o \
          -name README.md -print | sort | while IFS= read -r readme; do
  may=$(grep -m1 '^May include:' "$readme" || true)
  [[ -z $may ]] && continue
  folder=$(dirname "${readme#./}")
  allowed=$(grep -o '[a-z_][a-z_/]*/' <<<"${may#May include:}" | tr '\n' ' ')
  banned=$(grep -m1 '^Must not include:' "$readme" | grep -o '<[^>, ]*' | sed 's/\.$//' | tr '\n' ' ' || true)
  echo "RULE $folder $allowed| $banned"
done)
tops=$(find . -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f ')

{
  echo "$rules"
  echo "TOPS $tops"
  # Every include line of every checked top folder: FILE:LINE:TEXT.
  for dir in $(awk '$1 == "RULE" && $2 !~ /\// {print $2}' <<<"$rules"); do
    grep -rn --include='*.cpp' --include='*.hpp' --include='*.h' '^[[:space:]]*#[[:space:]]*include' "$dir" || true
  done
} | awk '
  $1 == "RULE" {
    folder = $2; allowed[folder] = ""; banned[folder] = ""; side = "allowed"
    for (i = 3; i <= NF; i++) {
      if ($i == "|") { side = "banned"; continue }
      if (side == "allowed") allowed[folder] = allowed[folder] " " $i
      else banned[folder] = banned[folder] " " $i
    }
    next
  }
  $1 == "TOPS" { for (i = 2; i <= NF; i++) top[$i] = 1; next }
  {
    split($0, parts, ":"); file = parts[1]; line = parts[2]
    text = substr($0, length(file) + length(line) + 3)
    # The nearest folder with a rule.
    rule = file; sub(/\/[^\/]*$/, "", rule)
    while (!(rule in allowed) && rule ~ /\//) sub(/\/[^\/]*$/, "", rule)
    if (!(rule in allowed)) next
    files[file] = 1
    own = file; sub(/\/.*/, "", own)
    if (match(text, /"[^"]+"/)) {
      path = substr(text, RSTART + 1, RLENGTH - 2)
      first = path; sub(/\/.*/, "", first)
      if (path !~ /\// || !(first in top) || first == own) next
      n = split(allowed[rule], list, " "); ok = 0
      for (i = 1; i <= n; i++) if (index(path, list[i]) == 1) { ok = 1; break }
      if (!ok) { printf "%s:%s: includes \"%s\"; %s/README.md allows only:%s\n", file, line, path, rule, allowed[rule]; bad++ }
    } else if (match(text, /<[^>]+/)) {
      path = substr(text, RSTART, RLENGTH)
      n = split(banned[rule], list, " ")
      for (i = 1; i <= n; i++) if (index(path, list[i]) == 1) {
        printf "%s:%s: includes %s>; %s/README.md forbids %s\n", file, line, path, rule, list[i]; bad++
      }
    }
  }
  END {
    checked = length(files)
    if (checked == 0) { print "check_includes: no file is under a README with a May include: line" > "/dev/stderr"; exit 1 }
    if (bad > 0) { printf "check_includes: %d forbidden include(s) in %d checked files\n", bad, checked > "/dev/stderr"; exit 1 }
    printf "check_includes: %d files follow their folder'"'"'s include rule\n", checked
  }'
