"""A deliberately misbehaving MCP stdio server for the proxy's bad-input tests.

Usage: fake_server.py MODE
  echo     answers initialize, tools/list (one `echo` tool) and tools/call; -32601 otherwise
  garbage  like echo, but writes a non-JSON line and a non-UTF-8 line before each answer
  crash    like echo, but exits with status 3 on the first tools/call without answering
  paged    like echo, but tools/list has two pages (`echo`, then `second` after cursor p2)
"""
import json
import sys

mode = sys.argv[1] if len(sys.argv) > 1 else "echo"
out = sys.stdout.buffer

for raw in sys.stdin.buffer:
    try:
        msg = json.loads(raw)
    except ValueError:
        continue
    if "id" not in msg:
        continue
    method = msg.get("method")
    if method == "tools/call" and mode == "crash":
        sys.exit(3)
    if method == "initialize":
        reply = {"result": {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                            "serverInfo": {"name": "fake", "version": "1"}}}
    elif method == "tools/list" and mode == "paged":
        if msg.get("params", {}).get("cursor") == "p2":
            reply = {"result": {"tools": [{"name": "second", "inputSchema": {"type": "object"}}]}}
        else:
            reply = {"result": {"tools": [{"name": "echo", "inputSchema": {"type": "object"}}],
                                "nextCursor": "p2"}}
    elif method == "tools/list":
        reply = {"result": {"tools": [{"name": "echo", "inputSchema": {"type": "object"}}]}}
    elif method == "tools/call":
        text = json.dumps(msg.get("params", {}).get("arguments", {}))
        reply = {"result": {"content": [{"type": "text", "text": text}], "isError": False}}
    else:
        reply = {"error": {"code": -32601, "message": f"Method not found: {method}"}}
    if mode == "garbage":
        out.write(b"this is not json\n")
        out.write(b"\xff\xfe\xfd not utf-8\n")
    reply.update({"jsonrpc": "2.0", "id": msg["id"]})
    out.write(json.dumps(reply).encode() + b"\n")
    out.flush()
