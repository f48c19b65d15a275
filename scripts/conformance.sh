#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against
# reference servers directly and through `warden proxy`, side by side, and fails if the
# proxy makes any scenario fail a check that the server passes on its own.
#
#   eval "$(bash scripts/setup-mcp-test-deps.sh)"; cargo build -p warden
#   bash scripts/conformance.sh            # writes target/conformance/summary.md
#
# Three runs:
#   1. sessions (2025-11-25), suite 0.1.16: server-everything over Streamable HTTP, and
#      `warden proxy --listen --upstream` in front of it;
#   2. the same suite against `warden proxy --listen -- node server-everything stdio`
#      (a stdio server exposed over HTTP), compared with run 1's direct column;
#   3. stateless (2026-07-28), suite 0.2.0-alpha.12 `--requirements 2026-07-28`: a
#      server on the official Python SDK (`mcp` 2.3.0) and the proxy in front of it.
# The suite's scenarios call fixture tools (`test_simple_text`, …) that only the
# suite's own unpublished test server has, so many fail against any other server: the
# numbers that matter are the differences between the columns.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${WARDEN_TEST_NODE22:?run: eval \"\$(bash scripts/setup-mcp-test-deps.sh)\"}"
: "${WARDEN_TEST_CONFORMANCE:?}" "${WARDEN_TEST_CONFORMANCE_NEXT:?}"
: "${WARDEN_TEST_EVERYTHING:?}" "${WARDEN_TEST_PYTHON:?}"
WARDEN="${WARDEN_BIN:-$PWD/target/debug/warden}"
[[ -x "$WARDEN" ]] || { echo "conformance.sh: $WARDEN is missing; run cargo build -p warden" >&2; exit 1; }
OUT="$PWD/target/conformance"
rm -rf "$OUT" && mkdir -p "$OUT"
PIDS=()
PROXIES=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "conformance.sh: nothing listens on port $1 ($2); see $OUT/*.log" >&2
  exit 1
}
start() { # name port command...
  local name=$1 port=$2; shift 2
  "$@" >"$OUT/$name.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port" "$name"
}
proxy() { # name port args...
  local name=$1 port=$2; shift 2
  "$WARDEN" log init "$OUT/$name-ledger" --origin conformance.local/proxy >/dev/null 2>&1
  start "$name" "$port" "$WARDEN" proxy --ledger "$OUT/$name-ledger" --listen "127.0.0.1:$port" "$@"
  PROXIES+=($!)
}
suite() { # name cli url args...
  local name=$1 cli=$2 url=$3; shift 3
  # The suite exits 1 when any check fails, which is expected here.
  "$WARDEN_TEST_NODE22" "$cli" server --url "$url" "$@" >"$OUT/$name.txt" 2>&1 || true
  grep -q '^Total:' "$OUT/$name.txt" || { echo "conformance.sh: the suite did not finish ($OUT/$name.txt)" >&2; exit 1; }
}

P1=$(free_port); start everything-http "$P1" env PORT="$P1" node "$WARDEN_TEST_EVERYTHING" streamableHttp
P2=$(free_port); proxy proxy-http "$P2" --upstream "http://127.0.0.1:$P1/mcp"
P3=$(free_port); proxy proxy-stdio "$P3" -- node "$WARDEN_TEST_EVERYTHING" stdio
P4=$(free_port); start python-http "$P4" "$WARDEN_TEST_PYTHON" crates/warden-proxy/tests/clients/py_server.py http "$P4" --stateless
P5=$(free_port); proxy proxy-python "$P5" --upstream "http://127.0.0.1:$P4/mcp"

suite sessions-direct "$WARDEN_TEST_CONFORMANCE" "http://127.0.0.1:$P1/mcp"
suite sessions-proxy "$WARDEN_TEST_CONFORMANCE" "http://127.0.0.1:$P2/mcp"
suite sessions-stdio-proxy "$WARDEN_TEST_CONFORMANCE" "http://127.0.0.1:$P3/mcp"
suite stateless-direct "$WARDEN_TEST_CONFORMANCE_NEXT" "http://127.0.0.1:$P4/mcp" --requirements 2026-07-28
suite stateless-proxy "$WARDEN_TEST_CONFORMANCE_NEXT" "http://127.0.0.1:$P5/mcp" --requirements 2026-07-28

# SIGTERM: each proxy closes its ledger with a signed checkpoint, then it verifies.
for p in "${PROXIES[@]}"; do kill -TERM "$p"; done
for p in "${PROXIES[@]}"; do wait "$p" || { echo "conformance.sh: a proxy exited with an error (see $OUT/proxy-*.log)" >&2; exit 1; }; done
for ledger in proxy-http proxy-stdio proxy-python; do
  "$WARDEN" log verify "$OUT/$ledger-ledger" --key "$OUT/$ledger-ledger/ledger.pub" >/dev/null \
    || { echo "conformance.sh: the ledger of $ledger does not verify" >&2; exit 1; }
done

python3 - "$OUT" <<'PY'
import re, sys
out = sys.argv[1]
line = re.compile(r"^[✓✗] (\S+): (\d+) passed, (\d+) failed")

def load(name):
    res = {}
    for l in open(f"{out}/{name}.txt", encoding="utf-8"):
        m = line.match(l)
        if m:
            res[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return res

runs = [
    ("Sessions (2025-11-25), suite 0.1.16: server-everything over HTTP", "sessions-direct",
     [("through `--upstream`", "sessions-proxy"), ("stdio server via `--listen -- CMD`", "sessions-stdio-proxy")]),
    ("Stateless (2026-07-28), suite 0.2.0-alpha.12 `--requirements 2026-07-28`: Python SDK server", "stateless-direct",
     [("through `--upstream`", "stateless-proxy")]),
]
md, regressions = [], []
for title, direct_name, others in runs:
    direct = load(direct_name)
    cols = [(label, load(n)) for label, n in others]
    md.append(f"### {title}\n")
    md.append("| scenario | direct | " + " | ".join(l for l, _ in cols) + " |")
    md.append("|---|---|" + "---|" * len(cols))
    for sc in direct:
        cells = []
        for label, res in cols:
            p, f = res.get(sc, (0, 0))
            mark = ""
            if sc not in res or f > direct[sc][1]:
                mark = " **regression**"
                regressions.append(f"{sc} ({label})")
            elif f < direct[sc][1]:
                mark = " (better)"
            cells.append(f"{p}/{p + f}{mark}")
        dp, df = direct[sc]
        md.append(f"| {sc} | {dp}/{dp + df} | " + " | ".join(cells) + " |")
    def total(res):
        p = sum(v[0] for v in res.values()); f = sum(v[1] for v in res.values())
        s = sum(1 for v in res.values() if v[1] == 0)
        return f"{p}/{p + f} checks, {s}/{len(res)} scenarios"
    md.append(f"| **total** | {total(direct)} | " + " | ".join(total(r) for _, r in cols) + " |\n")
open(f"{out}/summary.md", "w", encoding="utf-8").write("\n".join(md))
print("\n".join(md))
if regressions:
    print("conformance.sh: the proxy made these scenarios fail checks the server passes: " + ", ".join(regressions), file=sys.stderr)
    sys.exit(1)
PY
