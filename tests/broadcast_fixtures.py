"""Shared by the broadcast service tests (tests/test_broadcasts_*.py): real Store (SQLite
file), real IPPanelClient, real sandbox over loopback, a clock the test moves. The one
thing counted everywhere is POSTs to /api/send (:func:`posts`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography.fernet import Fernet, MultiFernet

from bot.broadcasts import BroadcastService, Policy
from bot.domain import ApprovalRequest, Draft, PhonebookSelection, Step
from bot.ippanel import IPPanelClient
from bot.sandbox import RunningSandbox
from storage import Store
from tests.sandbox_fixtures import SANDBOX_KEY, SANDBOX_SENDER, running_sandbox, sandbox_client

REQUESTER, ALI, SARA, REZA = 101, 202, 303, 404
STRANGER = 999
SUFFIX = "لغو۱۱"
BOOK = "120000"  # seeded sandbox phonebook, 25 contacts


class Clock:
    """Real time plus an offset the test moves."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def make_policy(approvers: set[int] | None = None, *, required: bool = True) -> Policy:
    return Policy(
        approvers=frozenset({REQUESTER, ALI, SARA, REZA} if approvers is None else approvers),
        approvals_required=required,
        approval_ttl=timedelta(hours=24),
        message_suffix=SUFFIX,
    )


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = Store(tmp_path / "bot.sqlite3", MultiFernet([Fernet(Fernet.generate_key())]))
    await s.open()
    await s.save_api_key(REQUESTER, SANDBOX_KEY, "شرکت نمونه تهران")
    yield s
    await s.close()


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox() as running:
        yield running


@pytest_asyncio.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[IPPanelClient]:
    async with sandbox_client(sandbox, connect_timeout=2.0, read_timeout=5.0) as c:
        yield c


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(store: Store, client: IPPanelClient, clock: Clock) -> BroadcastService:
    return BroadcastService(store, client, make_policy(), clock)


async def make_draft(store: Store, **fields: object) -> Draft:
    values: dict[str, object] = {
        "sender": SANDBOX_SENDER,
        "sender_label": "خط خدماتی",
        "selections": [PhonebookSelection(BOOK, "مشتریان", 25)],
        "text": "سلام، جشنواره تخفیف از فردا",
        "step": Step.REVIEW,
    }
    values.update(fields)
    return await store.create_draft(REQUESTER, **values)


async def submit(service: BroadcastService, store: Store, **fields: object) -> ApprovalRequest:
    result = await service.submit(await make_draft(store, **fields), REQUESTER)
    assert result.kind == "pending" and result.request is not None
    return result.request


def posts(sandbox: RunningSandbox) -> int:
    return sandbox.state.send_post_count
