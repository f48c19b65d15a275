#!/usr/bin/env bash
# How long the incident commands take on a large ledger: scope (verify + replay the
# detectors), triage, preserve (copy, verify, prove, seal) and verify-bundle, on a
# ledger of N tool calls (default 100,000) with one enumeration at the end. Medians of
# RUNS (default 3) runs each. Results: docs/benchmarks.md ("Incident commands").
#
#   bash bench/incident.sh            # N=100000 RUNS=3; ≈ 2 min on the project machine
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N="${N:-100000}"
RUNS="${RUNS:-3}"
DIR="${WARDEN_BENCH_DIR:-target/incident-bench}"
cargo build --release -q -p warden
W="$PWD/target/release/warden"
rm -rf "$DIR" && mkdir -p "$DIR"
"$W" log init "$DIR/ledger" >/dev/null
# N calls: 64 ordinary sessions, then one session reading the tickets and walking
# customer ids (the drill's pattern), then a post to an outside host.
python3 - "$N" <<'PY' | "$W" log append -q "$DIR/ledger"
import json, sys, time
n = int(sys.argv[1])
t0 = time.time_ns() - n * 1_000_000
tools = ["search_tickets", "get_order", "list_orders", "get_product"]
def rec(i, session, tool, ids, hosts=()):
    return json.dumps({"v": 1, "kind": "tool.result", "time_unix_nano": t0 + i * 1_000_000,
        "call_id": f"{session}/{i}", "mcp.session.id": session, "client.address": "198.51.100.7",
        "gen_ai.tool.name": tool, "mcp.method.name": "tools/call",
        "result": {"status": "ok", "resource_ids": ids, "outbound_hosts": list(hosts)}})
attack = 40
# Ordinary sessions revisit a few records each (no pattern should fire on them).
for i in range(n - attack):
    s = i % 64
    print(rec(i, f"s{s}", tools[i % len(tools)], [str(1000 * s + (i // 64) % 3 * 2)]))
i = n - attack
print(rec(i, "evil", "search_tickets", ["T-101"]))
for k in range(1, attack - 1):
    print(rec(i + k, "evil", "get_customer", [str(k)]))
print(rec(n - 1, "evil", "send_report", [], ["exfil.example"]))
PY
printf '[[tool]]\nname = "get_customer"\nclasses = ["pii", "financial"]\n' > "$DIR/classes.toml"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_it() { # label, command...
  local label="$1"; shift
  local times=()
  for _ in $(seq 1 "$RUNS"); do
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    times+=("$(( (e - s) / 1000000 ))")
  done
  printf '%-16s median %6s ms   (runs: %s)\n' "$label" "$(printf '%s\n' "${times[@]}" | median)" "${times[*]}"
}
echo "== $N calls, $(nproc) cores, $(date -u +%FT%TZ)"
CASE="$DIR/case"
"$W" incident open --case "$CASE" --ledger "$DIR/ledger" >/dev/null
export WARDEN_CASE="$CASE"
time_it "scope" "$W" incident scope
time_it "triage" "$W" incident triage --classes "$DIR/classes.toml"
preserve_once() { rm -rf "$CASE/evidence" 2>/dev/null || { chmod -R u+w "$CASE/evidence" && rm -rf "$CASE/evidence"; }; "$W" incident preserve; }
time_it "preserve" preserve_once
BAG="$(ls -d "$CASE"/evidence/bundle-* | head -1)"
time_it "verify-bundle" "$W" incident verify-bundle "$BAG" --key "$CASE/journal/ledger.pub"
du -sh "$DIR/ledger" "$BAG" | sed 's/^/size: /'
"$W" incident scope | grep -E "assessment|entry point|records read" || true
