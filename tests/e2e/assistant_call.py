"""An assistant for the e2e suite: the official MCP Python SDK launches `latchkey mcp` (as
Claude Desktop would), introduces itself as `e2e-python`, calls one tool and prints what it got.

    python assistant_call.py LATCHKEY_BINARY [TOOL [JSON_ARGUMENTS]]

The tool is `sofa_latest_releases` unless named; it prints one JSON line: `is_error`, the
structured answer and the text of the answer (a refusal's reason).
"""

import json
import os
import sys

import anyio
import mcp_types as types
from mcp import Client, StdioServerParameters


async def main(latchkey: str, tool: str, arguments: dict) -> None:
    # The SDK passes a minimal environment to the server it launches; the bridge needs to know
    # which broker to reach, as an assistant's config would tell it.
    params = StdioServerParameters(
        command=latchkey, args=["mcp"], env={"LATCHKEY_HOME": os.environ["LATCHKEY_HOME"]}
    )
    me = types.Implementation(name="e2e-python", version="1.0")
    async with Client(params, client_info=me) as client:
        result = await client.call_tool(tool, arguments)
        text = "\n".join(c.text for c in result.content if getattr(c, "text", None))
        print(
            json.dumps(
                {"is_error": result.is_error, "structured": result.structured_content, "text": text}
            )
        )


tool = sys.argv[2] if len(sys.argv) > 2 else "sofa_latest_releases"
arguments = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
anyio.run(main, sys.argv[1], tool, arguments)
