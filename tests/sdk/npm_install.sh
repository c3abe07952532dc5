#!/usr/bin/env bash
# tests/sdk/npm_install.sh — installs tests/sdk/package.json (the official SDKs and the coding
# agents, exact versions) into tests/sdk/node_modules once; every SDK/agent test calls it, and
# a lock keeps parallel ctest runs from installing twice. npm may skip Claude Code's
# postinstall (which copies the native binary shipped inside the package); it is run then.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec 9>"$here/.npm-install.lock"
flock 9
need=0
for p in openai @anthropic-ai/sdk @google/genai @anthropic-ai/claude-code @openai/codex @google/gemini-cli; do
  [[ -f "$here/node_modules/$p/package.json" ]] || need=1
done
if [[ $need -eq 1 ]]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
claude="$here/node_modules/@anthropic-ai/claude-code"
if [[ -f "$claude/install.cjs" ]] && ! "$claude/bin/claude.exe" --version >/dev/null 2>&1; then
  (cd "$claude" && node install.cjs >/dev/null)
fi
