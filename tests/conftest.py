"""Fixtures shared by the test modules; helpers and constants stay in tests/*_fixtures.py.

- ``sandbox`` / ``ippanel`` (alias ``client``): the IPPanel sandbox on a free loopback port
  and a real client for it (short timeouts);
- ``db_path`` / ``fernet`` / ``store``: an open Store on a real SQLite file in tmp_path. A
  module that needs saved API keys says so with ``pytestmark = pytest.mark.api_keys(...)``
  (``(owner, key, company)`` triples), the pytest way of passing data to a fixture;
- ``clock`` / ``service``: the broadcast service on that store and client, with a clock the
  test moves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography.fernet import Fernet, MultiFernet

from bot.broadcasts import BroadcastService
from bot.ippanel import IPPanelClient
from sandbox import RunningSandbox
from storage import Store
from tests.broadcast_fixtures import Clock, make_policy
from tests.sandbox_fixtures import running_sandbox, sandbox_client


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """A default sandbox (12 phonebooks × 25 contacts) on a free port."""
    async with running_sandbox() as running:
        yield running


@pytest_asyncio.fixture
async def ippanel(sandbox: RunningSandbox) -> AsyncIterator[IPPanelClient]:
    """A client for the ``sandbox`` fixture, with short timeouts for tests."""
    async with sandbox_client(sandbox, connect_timeout=2.0, read_timeout=5.0) as client:
        yield client


@pytest.fixture
def client(ippanel: IPPanelClient) -> IPPanelClient:
    """The broadcast service tests' name for ``ippanel``."""
    return ippanel


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
def fernet() -> MultiFernet:
    return MultiFernet([Fernet(Fernet.generate_key())])


@pytest_asyncio.fixture
async def store(
    db_path: Path, fernet: MultiFernet, request: pytest.FixtureRequest
) -> AsyncIterator[Store]:
    s = Store(db_path, fernet)
    await s.open()
    marker = request.node.get_closest_marker("api_keys")
    for owner, key, company in marker.args if marker else ():
        await s.save_api_key(owner, key, company)
    yield s
    await s.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(store: Store, client: IPPanelClient, clock: Clock) -> BroadcastService:
    return BroadcastService(store, client, make_policy(), clock)
