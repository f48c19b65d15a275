#!/usr/bin/env bash
# Installs the real MCP parts the proxy tests run against, pinned, under target/mcp-deps:
# the reference server @modelcontextprotocol/server-everything (npm), the official
# Python SDK `mcp` (PyPI) and the MCP Inspector CLI (npm; 0.15, the last line that runs
# on Node 20 — 2.x needs Node >= 22.19) for the clients; and, for scripts/conformance.sh,
# Node 22 (the npm package `node@22`; the conformance CLI needs `fs.globSync`) and the
# official conformance suite `@modelcontextprotocol/conformance` in two pinned versions:
# 0.1.16 (the release line; protocol eras up to 2025-11-25) and 0.2.0-alpha.12 (the
# first to score 2026-07-28). Prints the environment the tests read:
#
#   eval "$(bash scripts/setup-mcp-test-deps.sh)"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DEPS="$PWD/target/mcp-deps"
EVERYTHING_VERSION=2026.8.31
MCP_PY_VERSION=2.3.0
# A pure-Python PostgreSQL driver for the incident drill's MCP server.
PG8000_VERSION=1.31.5
INSPECTOR_VERSION=0.15.0
NODE22_VERSION=22.23.3
CONFORMANCE_VERSION=0.1.16
CONFORMANCE_NEXT_VERSION=0.2.0-alpha.12
mkdir -p "$DEPS"
if [[ ! -f "$DEPS/node_modules/@modelcontextprotocol/server-everything/dist/index.js" ]]; then
  (cd "$DEPS" && npm install --silent --no-audit --no-fund \
     "@modelcontextprotocol/server-everything@$EVERYTHING_VERSION" >&2)
fi
if [[ ! -x "$DEPS/venv/bin/python" ]] || ! "$DEPS/venv/bin/python" -c "import mcp, pg8000" 2>/dev/null; then
  [[ -x "$DEPS/venv/bin/python" ]] || python3 -m venv "$DEPS/venv" >&2
  "$DEPS/venv/bin/pip" install --quiet --disable-pip-version-check \
    "mcp==$MCP_PY_VERSION" "pg8000==$PG8000_VERSION" >&2
fi
if [[ ! -f "$DEPS/node_modules/@modelcontextprotocol/inspector/cli/build/index.js" ]]; then
  (cd "$DEPS" && npm install --silent --no-audit --no-fund \
     "@modelcontextprotocol/server-everything@$EVERYTHING_VERSION" \
     "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" >&2)
fi
command -v node >/dev/null || { echo "node is not installed" >&2; exit 1; }
NODE22="$DEPS/node22/node_modules/node/bin/node"
if [[ ! -x "$NODE22" ]]; then
  npm install --silent --no-audit --no-fund --prefix "$DEPS/node22" "node@$NODE22_VERSION" >&2
fi
"$NODE22" --version >/dev/null || { echo "node@$NODE22_VERSION did not install a working node" >&2; exit 1; }
for spec in "conf:$CONFORMANCE_VERSION" "conf-next:$CONFORMANCE_NEXT_VERSION"; do
  dir="$DEPS/${spec%%:*}"
  if [[ ! -f "$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js" ]]; then
    PATH="$(dirname "$NODE22"):$PATH" npm install --silent --no-audit --no-fund --prefix "$dir" \
      "@modelcontextprotocol/conformance@${spec#*:}" >&2
  fi
done
cat <<ENV
export WARDEN_TEST_EVERYTHING=$DEPS/node_modules/@modelcontextprotocol/server-everything/dist/index.js
export WARDEN_TEST_PYTHON=$DEPS/venv/bin/python
export WARDEN_TEST_INSPECTOR=$DEPS/node_modules/@modelcontextprotocol/inspector/cli/build/index.js
export WARDEN_TEST_NODE22=$NODE22
export WARDEN_TEST_CONFORMANCE=$DEPS/conf/node_modules/@modelcontextprotocol/conformance/dist/index.js
export WARDEN_TEST_CONFORMANCE_NEXT=$DEPS/conf-next/node_modules/@modelcontextprotocol/conformance/dist/index.js
ENV
