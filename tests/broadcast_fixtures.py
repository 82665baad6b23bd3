"""Shared by the broadcast service tests (tests/bot/broadcasts/), whose fixtures are in
conftest.py: real Store (SQLite file), real IPPanelClient, real sandbox over loopback, a
clock the test moves. The one thing counted everywhere is POSTs to /api/send (:func:`posts`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.broadcasts import BroadcastService, Decision, PlanOutcome, Policy, SendOutcome
from bot.domain import ApprovalRequest, Draft, PhonebookSelection, Step
from sandbox import RunningSandbox
from storage import Store
from tests.sandbox_fixtures import SANDBOX_KEY, SANDBOX_SENDER

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


# the module mark of every broadcast service test: the requester's key is saved in ``store``
REQUESTER_KEY = pytest.mark.api_keys((REQUESTER, SANDBOX_KEY, "شرکت نمونه تهران"))


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


async def press_approve(
    service: BroadcastService, request_id: int, approver: int
) -> tuple[Decision, SendOutcome | PlanOutcome | None]:
    """What the approve button does in production (``handlers.approval.approve``): count
    the approval; only the press that completes it starts the send, and that send is the
    service call the handler schedules (``send_decision``, in ``_send_and_report``)."""
    decision = await service.approve(request_id, approver)
    if decision.kind != "approved":
        return decision, None
    assert decision.request is not None
    return decision, await service.send_decision(decision)


def posts(sandbox: RunningSandbox) -> int:
    return sandbox.state.send_post_count
