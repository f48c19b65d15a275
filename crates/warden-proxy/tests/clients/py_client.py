"""An MCP client built on the official Python SDK, for the proxy's integration tests.

Usage: py_client.py COMMAND [ARGS...]   (the server to spawn over stdio)
       py_client.py http://HOST:PORT/PATH (a Streamable HTTP server; MCP_CLIENT_MODE picks
       the era: "legacy" (initialize), "auto" (server/discover, then initialize), or
       "2026-07-28" (stateless))
Environment: MCP_CLIENT_SERVER_ENV, a JSON object of extra variables for the server
(the SDK passes the server only a small default environment).
Reads a JSON list of steps on stdin: {"list": true}, {"call": NAME, "args": {...}},
{"sleep": SECONDS} or {"wait_file": PATH} (waits, up to 60 s, until the test has created
PATH; prints nothing).
Prints one JSON line per step: the tool list (names) or the call result (content text,
isError, structuredContent) or {"error": message} when the call raised.
"""
import asyncio
import json
import os
import sys

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.client import Client


def transport():
    extra_env = json.loads(os.environ.get("MCP_CLIENT_SERVER_ENV", "{}"))
    params = StdioServerParameters(command=sys.argv[1], args=sys.argv[2:], env=extra_env or None)
    return stdio_client(params)


async def run_steps(session, steps) -> None:
    for step in steps:
        if "sleep" in step:
            await asyncio.sleep(step["sleep"])
            continue
        if "wait_file" in step:
            # The test creates the file once it has done its part: no race on timing.
            for _ in range(1200):
                if os.path.exists(step["wait_file"]):
                    break
                await asyncio.sleep(0.05)
            else:
                raise SystemExit(f"gave up waiting for {step['wait_file']}")
            continue
        try:
            if step.get("list"):
                tools = await session.list_tools()
                out = {"tools": sorted(t.name for t in tools.tools)}
            else:
                r = await session.call_tool(step["call"], step.get("args", {}))
                out = {
                    "isError": bool(r.is_error),
                    "text": [c.text for c in r.content if getattr(c, "type", "") == "text"],
                    "structured": r.structured_content,
                }
        except Exception as e:  # the test compares errors too
            out = {"error": str(e)}
        print(json.dumps(out, sort_keys=True), flush=True)


async def main() -> None:
    steps = json.load(sys.stdin)
    if sys.argv[1].startswith("http://"):
        mode = os.environ.get("MCP_CLIENT_MODE", "auto")
        async with Client(sys.argv[1], mode=mode) as client:
            await run_steps(client, steps)
        return
    async with transport() as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            await run_steps(session, steps)


asyncio.run(main())
