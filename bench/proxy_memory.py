"""Memory of a long-running `warden proxy --upstream` under sustained calls: one MCP
session over one keep-alive connection calls `echo` (arguments distinct per call) in
phases, and the proxy's resident memory is printed after each phase. Flat is right;
growth per call is a leak. Results: docs/benchmarks.md ("Proxy memory over time").

    cargo build --release -p warden --bin warden
    cargo build --release -p warden-proxy --example echo_http_server
    python3 bench/proxy_memory.py [CALLS_PER_PHASE] [PHASES]     # default 20000 6
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARDEN = os.path.join(ROOT, "target/release/warden")
ECHO = os.path.join(ROOT, "target/release/examples/echo_http_server")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")


def main() -> None:
    per_phase = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    phases = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    work = tempfile.mkdtemp(prefix="warden-mem-")
    up, front = free_port(), free_port()
    server = subprocess.Popen([ECHO, str(up)])
    wait_port(up)
    ledger = os.path.join(work, "ledger")
    subprocess.run([WARDEN, "log", "init", ledger], check=True, capture_output=True)
    proxy = subprocess.Popen(
        [WARDEN, "proxy", "--ledger", ledger, "--listen", f"127.0.0.1:{front}",
         "--commit", "async", "--upstream", f"http://127.0.0.1:{up}/mcp"],
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(front)
        conn = http.client.HTTPConnection("127.0.0.1", front)
        headers = {"Content-Type": "application/json",
                   "Accept": "application/json, text/event-stream"}

        def post(body: dict) -> http.client.HTTPResponse:
            conn.request("POST", "/mcp", body=json.dumps(body), headers=headers)
            r = conn.getresponse()
            r.read()
            return r

        r = post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "memory-bench", "version": "1"}}})
        headers["Mcp-Session-Id"] = r.getheader("mcp-session-id") or ""
        headers["MCP-Protocol-Version"] = "2025-11-25"
        post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        print(f"calls {0:>8}  RSS {rss_mb(proxy.pid):6.1f} MB", flush=True)
        n = 0
        for _ in range(phases):
            for _ in range(per_phase):
                n += 1
                post({"jsonrpc": "2.0", "id": n, "method": "tools/call", "params": {
                    "name": "echo",
                    "arguments": {"message": f"order {n} for customer cus_{n} alice{n}@example.com"}}})
            print(f"calls {n:>8}  RSS {rss_mb(proxy.pid):6.1f} MB", flush=True)
    finally:
        proxy.terminate()
        server.terminate()
        proxy.wait()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
