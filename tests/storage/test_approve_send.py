"""The approve press in one transaction (storage/approve_send.py): one winner between two
connections, approvals of people no longer approvers not counted, the lifecycle's refusal
and a row that cannot be written leaving the approval standing, and the audit rows
written with the state change they describe."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import MultiFernet

from bot.domain import ApprovalRequest, Broadcast, BroadcastState, RequestState
from storage import Store
from storage.plans import Refused
from tests.storage_fixtures import break_broadcast_rows, mend_broadcast_rows

OWNER = 1
APPROVERS = tuple(range(100, 110))


def anyone(_: ApprovalRequest) -> bool:
    return True


def go_ahead(_: ApprovalRequest):
    return lambda gate: None


async def pending(store: Store, needed: int = 1) -> ApprovalRequest:
    draft = await store.create_draft(OWNER, text="سلام")
    expires = datetime.now(UTC) + timedelta(hours=1)
    request = await store.create_request(
        draft, OWNER, draft.snapshot(), expires, approvals_needed=needed
    )
    await store.save_api_key(OWNER, "k" * 40, None)
    return request


async def press(store: Store, request_id: int, approver: int, **kw):
    args = {"eligible": APPROVERS, "may_decide": anyone, "check": go_ahead, **kw}
    return await store.approve_and_start(request_id, approver, now=datetime.now(UTC), **args)


async def test_two_connections_ten_presses_one_row(db_path: Path, fernet: MultiFernet):
    async with Store(db_path, fernet) as a, Store(db_path, fernet) as b:
        request = await pending(a)
        results = await asyncio.gather(
            *(press((a, b)[i % 2], request.id, approver) for i, approver in enumerate(APPROVERS))
        )
        winners = [r for r in results if r is not None]
        assert len(winners) == 1  # the others found it decided: nothing written for them
        won = winners[0]
        assert won.tally.kind == "approved" and isinstance(won.unit, Broadcast)
        assert won.unit.state == BroadcastState.SENDING and won.unit.number == request.number
        assert a.open_api_key(OWNER, won.token or "") == "k" * 40
        stored = await a.get_request(request.id)
        assert (
            stored.state == RequestState.APPROVED and stored.decided_by == won.tally.approved_by[0]
        )
        assert [b.id for b in await a.history_page(OWNER, 10)] == [won.unit.id]
        assert [e.action for e in await a.list_audit(5)] == ["approved"]


async def test_only_current_approvers_count_and_each_step_is_audited(store: Store):
    request = await pending(store, needed=2)
    removed = 999  # approved once, no longer an approver
    first = await press(store, request.id, removed, eligible=(*APPROVERS, removed))
    assert first is not None and first.tally.kind == "counted"
    second = await press(store, request.id, 100)
    assert second is not None and second.tally.kind == "counted"  # 999 is not counted now
    assert second.tally.approved_by == (100,) and second.unit is None
    again = await press(store, request.id, 100)
    assert again is not None and again.tally.kind == "repeat"
    third = await press(store, request.id, 101)
    assert third is not None and third.tally.kind == "approved"
    assert third.tally.approved_by == (100, 101) and isinstance(third.unit, Broadcast)
    actions = [e.action for e in reversed(await store.list_audit(10))]
    assert actions == ["approval_counted", "approval_counted", "approved"]


async def test_the_gate_refuses_in_the_same_transaction(store: Store):
    request = await pending(store)
    seen = []

    def check(r: ApprovalRequest):
        def judge(gate) -> str:
            seen.append((gate.request, gate.approvers, gate.needed))
            return "approvals_lost"

        return judge

    result = await press(store, request.id, 100, check=check)
    assert result is not None and result.unit == Refused("approvals_lost")
    assert seen == [("approved", (100,), 1)]  # what the transaction itself holds
    assert (await store.get_request(request.id)).state == RequestState.APPROVED
    assert await store.get_broadcast_for_request(request.id) is None


async def test_a_row_that_cannot_be_written_leaves_the_approval(store: Store):
    request = await pending(store)
    await break_broadcast_rows(store)
    result = await press(store, request.id, 100)
    await mend_broadcast_rows(store)
    assert result is not None and result.not_started and result.unit is None
    assert (await store.get_request(request.id)).state == RequestState.APPROVED
    assert [r.id for r in await store.list_approved_without_broadcast()] == [request.id]


async def test_nothing_is_written_when_the_rules_refuse(store: Store):
    request = await pending(store)
    assert await press(store, request.id, 100, may_decide=lambda r: False) is None
    assert await press(store, request.id, OWNER) is None  # the requester never approves
    late = datetime.now(UTC) + timedelta(hours=2)
    assert (
        await store.approve_and_start(
            request.id, 100, now=late, eligible=APPROVERS, may_decide=anyone, check=go_ahead
        )
        is None
    )
    assert (await store.get_request(request.id)).state == RequestState.PENDING
    assert await store.list_audit(5) == []
