#!/usr/bin/env bash
# Installs the real MCP parts the proxy tests run against, pinned, under target/mcp-deps:
# the reference server @modelcontextprotocol/server-everything (npm), the official
# Python SDK `mcp` (PyPI) and the MCP Inspector CLI (npm; 0.15, the last line that runs
# on Node 20 — 2.x needs Node >= 22.19) for the clients. Prints the environment the tests
# read:
#
#   eval "$(bash scripts/setup-mcp-test-deps.sh)"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DEPS="$PWD/target/mcp-deps"
EVERYTHING_VERSION=2026.8.31
MCP_PY_VERSION=2.3.0
INSPECTOR_VERSION=0.15.0
mkdir -p "$DEPS"
if [[ ! -f "$DEPS/node_modules/@modelcontextprotocol/server-everything/dist/index.js" ]]; then
  (cd "$DEPS" && npm install --silent --no-audit --no-fund \
     "@modelcontextprotocol/server-everything@$EVERYTHING_VERSION" >&2)
fi
if [[ ! -x "$DEPS/venv/bin/python" ]] || ! "$DEPS/venv/bin/python" -c "import mcp" 2>/dev/null; then
  python3 -m venv "$DEPS/venv" >&2
  "$DEPS/venv/bin/pip" install --quiet --disable-pip-version-check "mcp==$MCP_PY_VERSION" >&2
fi
if [[ ! -f "$DEPS/node_modules/@modelcontextprotocol/inspector/cli/build/index.js" ]]; then
  (cd "$DEPS" && npm install --silent --no-audit --no-fund \
     "@modelcontextprotocol/server-everything@$EVERYTHING_VERSION" \
     "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" >&2)
fi
command -v node >/dev/null || { echo "node is not installed" >&2; exit 1; }
cat <<ENV
export WARDEN_TEST_EVERYTHING=$DEPS/node_modules/@modelcontextprotocol/server-everything/dist/index.js
export WARDEN_TEST_PYTHON=$DEPS/venv/bin/python
export WARDEN_TEST_INSPECTOR=$DEPS/node_modules/@modelcontextprotocol/inspector/cli/build/index.js
ENV
