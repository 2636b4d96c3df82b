"""The official MCP Python SDK against Latchkey, over the broker's socket and through the
`latchkey mcp` bridge an assistant launches. Run by tests/interop/run.sh."""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.message import SessionMessage

LATCHKEY = os.environ["LATCHKEY_BIN"]
# A real published SOFA feed beside the repository (../shared), never copied into it.
SOFA_FEED = Path(__file__).resolve().parents[3] / "shared/fixtures/sofa/v2/macos_data_feed.json"
VERSION = subprocess.run([LATCHKEY, "--version"], capture_output=True, text=True, check=True).stdout.split()[-1]


@pytest.fixture
def broker(tmp_path: Path):
    """A headless broker (`latchkey serve`) in a private LATCHKEY_HOME."""
    home = tmp_path / "state"
    assert SOFA_FEED.exists(), f"SOFA fixture missing: {SOFA_FEED}"
    # A test build: its scripted presence check lets this (new) assistant in.
    env = {
        **os.environ,
        "LATCHKEY_HOME": str(home),
        # Its own runtime dir (the one-per-user broker lock), apart from any broker the user runs.
        "XDG_RUNTIME_DIR": str(home),
        "LATCHKEY_SOFA_FEED": str(SOFA_FEED),
        "LATCHKEY_SCRIPTED_PRESENCE": "approve",
    }
    proc = subprocess.Popen([LATCHKEY, "serve"], env=env, stderr=subprocess.DEVNULL)
    socket = home / "mcp.sock"
    deadline = time.monotonic() + 20
    while not socket.exists():
        assert time.monotonic() < deadline, "broker did not start"
        time.sleep(0.02)
    yield home
    proc.terminate()
    proc.wait(timeout=10)


@asynccontextmanager
async def unix_socket_transport(path: Path):
    """Newline-delimited JSON-RPC over a unix socket: the SDK's stdio framing on a socket."""
    stream = await anyio.connect_unix(str(path))
    to_session, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, from_session = anyio.create_memory_object_stream[SessionMessage](0)

    async def reader():
        buffer = b""
        async with to_session:
            try:
                while True:
                    buffer += await stream.receive()
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        await to_session.send(SessionMessage(types.jsonrpc_message_adapter.validate_json(line, by_name=False)))
            except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
                pass

    async def writer():
        async with from_session:
            async for message in from_session:
                await stream.send((message.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n").encode())

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        tg.start_soon(writer)
        try:
            yield read_stream, write_stream
        finally:
            await stream.aclose()
            tg.cancel_scope.cancel()


async def check_latchkey(client: Client) -> None:
    assert client.server_info is not None and client.server_info.name == "latchkey"
    assert client.server_info.version == VERSION

    tools = (await client.list_tools()).tools
    status = next(t for t in tools if t.name == "latchkey_status")
    assert status.annotations is not None and status.annotations.read_only_hint is True
    assert status.output_schema is not None and "version" in status.output_schema["required"]

    result = await client.call_tool("latchkey_status", {})
    assert not result.is_error
    assert result.structured_content["version"] == VERSION
    assert result.structured_content["domains"] == []
    assert "latchkey_status" in result.structured_content["capabilities"]["tools"]

    sofa = await client.call_tool("sofa_os_status", {"version": "15.1"})
    assert not sofa.is_error
    counts = sofa.structured_content["status"]["counts"]
    assert (counts["cves_fixed_later"], counts["actively_exploited_fixed_later"]) == (676, 12)
    bad = await client.call_tool("sofa_os_status", {"version": "fifteen"})
    assert bad.is_error


@pytest.mark.anyio
async def test_over_the_socket(broker: Path):
    async with Client(unix_socket_transport(broker / "mcp.sock")) as client:
        await check_latchkey(client)


@pytest.mark.anyio
async def test_through_the_stdio_bridge(broker: Path):
    params = StdioServerParameters(command=LATCHKEY, args=["mcp"], env={"LATCHKEY_HOME": str(broker)})
    async with Client(params) as client:
        await check_latchkey(client)


@pytest.mark.anyio
async def test_bridge_without_a_broker_fails_cleanly(tmp_path: Path):
    out = subprocess.run([LATCHKEY, "mcp"], env={**os.environ, "LATCHKEY_HOME": str(tmp_path)}, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert out.returncode != 0
    assert "no Latchkey broker is running" in out.stderr


@pytest.fixture
def anyio_backend():
    return "asyncio"
