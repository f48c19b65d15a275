"""The incident drill's scripted client: an MCP client on the official Python SDK that
spawns the server command given (the proxy in front of the drill server) and runs the
steps it reads on stdin, one JSON object per line, as they come, so the test can act
between them: {"call": NAME, "args": {...}} or {"list": true}. Prints one JSON line per
step: the result (text, isError) or {"error": message}. Exits at end of input.
"""
import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client


async def main() -> None:
    params = StdioServerParameters(command=sys.argv[1], args=sys.argv[2:])
    async with stdio_client(params) as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            loop = asyncio.get_running_loop()
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line:
                    break
                step = json.loads(line)
                try:
                    if step.get("list"):
                        tools = await session.list_tools()
                        out = {"tools": sorted(t.name for t in tools.tools)}
                    else:
                        r = await session.call_tool(step["call"], step.get("args", {}))
                        out = {
                            "isError": bool(r.is_error),
                            "text": [c.text for c in r.content if getattr(c, "type", "") == "text"],
                        }
                except Exception as e:  # the test reads refusals too
                    out = {"error": str(e)}
                print(json.dumps(out, sort_keys=True), flush=True)


asyncio.run(main())
