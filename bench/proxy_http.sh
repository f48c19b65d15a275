#!/usr/bin/env bash
# What `warden proxy --listen` adds on Streamable HTTP, side by side with mcp-proxy
# (PyPI, pinned) in the same run: latency direct vs proxied (both durability modes),
# calls/s with 64 connections, resident memory idle and with 1,000 open sessions.
# Results: docs/benchmarks.md.
#
#   bash bench/proxy_http.sh          # RUNS=3 by default
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${RUNS:-3}"
MCP_PROXY_VERSION=0.13.0
ulimit -n 8192 2>/dev/null || echo "note: could not raise the open-file limit; 1,000 sessions need ~2,100 descriptors" >&2
cargo build --release -q -p warden --bin warden
cargo build --release -q -p warden-proxy --example echo_server --example echo_http_server
cargo bench -q -p warden-proxy --bench proxy_http --no-run 2>/dev/null
VENV="$PWD/target/mcp-proxy-venv"
if [[ ! -x "$VENV/bin/mcp-proxy" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "mcp-proxy==$MCP_PROXY_VERSION"
fi
export WARDEN_BIN="$PWD/target/release/warden" ECHO_SERVER="$PWD/target/release/examples/echo_server" \
       ECHO_HTTP_SERVER="$PWD/target/release/examples/echo_http_server" MCP_PROXY="$VENV/bin/mcp-proxy"
for run in $(seq 1 "$RUNS"); do
  echo "== run $run/$RUNS ($(date -u +%FT%TZ), $(nproc) cores)"
  cargo bench -q -p warden-proxy --bench proxy_http 2>/dev/null
done
