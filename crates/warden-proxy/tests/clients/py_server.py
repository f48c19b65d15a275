"""An MCP server built on the official Python SDK (MCPServer, formerly FastMCP), for the
proxy's integration tests.

Usage: py_server.py stdio
       py_server.py http PORT [--stateless] [--json]   (Streamable HTTP on 127.0.0.1:PORT/mcp)
"""
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("warden-test-py")


@server.tool()
def echo(message: str) -> str:
    """Returns the message."""
    return f"Echo: {message}"


@server.tool()
def get_customer(customer_id: int) -> dict:
    """Looks up one customer record."""
    return {"customer_id": customer_id, "email": f"c{customer_id}@example.org", "tier": "gold"}


@server.tool()
def read_config() -> str:
    """Reads the service configuration (contains a credential, to test redaction)."""
    return "region=eu-west-1\naws_access_key_id=AKIAZ3MSJV4WZKQ7XH2P\n"


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run("stdio")
    else:
        import anyio

        anyio.run(
            lambda: server.run_streamable_http_async(
                port=int(sys.argv[2]),
                stateless_http="--stateless" in sys.argv,
                json_response="--json" in sys.argv,
            )
        )
