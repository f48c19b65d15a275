#!/usr/bin/env bash
# Ledger throughput: group commit (appends/s and latency by number of concurrent
# appenders), fsync per record, and verify speed, each next to its hardware floor or
# bound. Results: docs/benchmarks.md ("Ledger"). Runs the bench RUNS times (default 3)
# on the disk under WARDEN_BENCH_DIR (default target/ledger-bench).
#
#   bash bench/ledger.sh            # ≈ 3 × 70 s on the project machine
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${RUNS:-3}"
cargo bench -p warden-ledger --bench ledger_throughput --no-run >/dev/null 2>&1
for run in $(seq 1 "$RUNS"); do
  echo "== run $run/$RUNS ($(date -u +%FT%TZ), $(nproc) cores)"
  cargo bench -q -p warden-ledger --bench ledger_throughput 2>/dev/null
done
