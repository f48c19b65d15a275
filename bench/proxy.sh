#!/usr/bin/env bash
# What `warden proxy` adds on stdio: latency direct vs proxied (both durability modes),
# calls/s with 64 requests in flight, resident memory. Results: docs/benchmarks.md.
#
#   bash bench/proxy.sh          # RUNS=3 by default
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${RUNS:-3}"
cargo build --release -q -p warden --bin warden
cargo build --release -q -p warden-proxy --example echo_server
cargo bench -q -p warden-proxy --bench proxy_latency --no-run 2>/dev/null
export WARDEN_BIN="$PWD/target/release/warden" ECHO_SERVER="$PWD/target/release/examples/echo_server"
for run in $(seq 1 "$RUNS"); do
  echo "== run $run/$RUNS ($(date -u +%FT%TZ), $(nproc) cores)"
  cargo bench -q -p warden-proxy --bench proxy_latency 2>/dev/null
done
