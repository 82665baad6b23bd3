"""Reusable helpers to run the IPPanel sandbox inside a test's event loop.

Import them explicitly::

    from tests.sandbox_fixtures import running_sandbox, sandbox_client

    async def test_something():
        async with running_sandbox(phonebooks=5) as sandbox:
            async with sandbox_client(sandbox) as client:
                await client.phonebooks(SANDBOX_KEY)
            assert sandbox.state.send_post_count == 0

or as the pytest fixtures ``sandbox`` and ``ippanel`` of conftest.py::

    async def test_x(sandbox, ippanel): ...

Subprocess tests can run ``python -m sandbox --port 0`` and read the first
stdout line (``... IPPANEL_BASE_URL=http://127.0.0.1:PORT/v1``), then steer it
over HTTP: ``/__sandbox/faults``, ``/__sandbox/reset``, ``/__sandbox/requests``.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.ippanel import IPPanelClient
from sandbox import DEFAULT_KEY, SHORT_KEY, RunningSandbox, SandboxState, start_sandbox

SANDBOX_KEY = DEFAULT_KEY
SANDBOX_KEY_2 = "sandbox-key-2"
SANDBOX_KEY_3 = "sandbox-key-3"
SANDBOX_KEY_BLOCKED = "sandbox-key-blocked"
SANDBOX_KEY_SHORT = SHORT_KEY  # one sender line, the short +981000
SHORT_SENDER = "+981000"
SANDBOX_SENDER = "+983000505"


@asynccontextmanager
async def running_sandbox(**seed_kwargs: Any) -> AsyncIterator[RunningSandbox]:
    """A sandbox on a free loopback port; ``seed_kwargs`` go to ``SandboxState``
    (``seed``, ``phonebooks``, ``contacts_per_book``, ``credit``)."""
    sandbox = await start_sandbox(SandboxState(**seed_kwargs))
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@asynccontextmanager
async def sandbox_client(
    sandbox: RunningSandbox | str, **client_kwargs: Any
) -> AsyncIterator[IPPanelClient]:
    """An ``IPPanelClient`` pointed at ``sandbox`` (or at a base URL)."""
    base_url = sandbox if isinstance(sandbox, str) else sandbox.base_url
    client = IPPanelClient(base_url, **client_kwargs)
    try:
        yield client
    finally:
        await client.aclose()


def closed_port_url() -> str:
    """A base URL on a loopback port nobody listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
