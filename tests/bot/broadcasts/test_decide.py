"""The broadcast service: approve, reject, withdraw, expiry; who may decide (roles)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.broadcasts import BroadcastService, Policy
from bot.domain import BroadcastState, RequestState
from bot.ippanel import IPPanelClient
from sandbox import RunningSandbox
from storage import Store
from tests.broadcast_fixtures import (
    ALI,
    BOOK,
    REQUESTER,
    REQUESTER_KEY,
    REZA,
    SARA,
    STRANGER,
    SUFFIX,
    Clock,
    make_policy,
    posts,
    press_approve,
    submit,
)
from tests.sandbox_fixtures import SANDBOX_SENDER

pytestmark = REQUESTER_KEY


# ---------------------------------------------------------------- decisions


async def test_self_approval_and_self_rejection_refused(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    decision, outcome = await press_approve(service, request.id, REQUESTER)
    assert decision.kind == "self_approval" and outcome is None
    assert (await service.reject(request.id, REQUESTER, "نه")).kind == "self_approval"
    assert (await store.get_request(request.id)).state == RequestState.PENDING
    assert posts(sandbox) == 0


async def test_approver_removed_from_policy_is_not_allowed(
    service: BroadcastService, store: Store, client: IPPanelClient, clock: Clock
) -> None:
    request = await submit(service, store)
    later = BroadcastService(store, client, make_policy({REQUESTER, SARA}), clock)
    assert (await later.approve(request.id, ALI)).kind == "not_allowed"
    assert (await later.approve(request.id, STRANGER)).kind == "not_allowed"
    assert (await later.approve(12345, SARA)).kind == "not_found"


async def test_approve_sends_exactly_once(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    decision, outcome = await press_approve(service, request.id, ALI)

    assert decision.kind == "approved"
    assert outcome is not None and outcome.kind == "sent"
    assert posts(sandbox) == 1
    body = sandbox.state.send_posts[0].json
    assert body["from_number"] == SANDBOX_SENDER
    assert body["message"] == request.snapshot.message
    assert body["params"] == [{"type": "all", "phonebook_ids": [BOOK]}]
    assert "send_time" not in body

    b = await store.get_broadcast_for_request(request.id)
    assert b is not None and b.state == BroadcastState.SENT
    assert b.outbox_ids == list(sandbox.state.sends) and b.approver_id == ALI
    assert (await store.get_profile(REQUESTER)).last_sender == SANDBOX_SENDER

    late, none = await press_approve(service, request.id, SARA)
    assert late.kind == "already_decided" and late.decided_by == ALI and none is None
    # a handler replaying send_approved gets "duplicate", not a second POST
    assert (await service.send_approved(request, ALI)).kind == "duplicate"
    assert posts(sandbox) == 1
    actions = [e.action for e in await store.list_audit()]
    assert {"submitted", "approved", "send_started", "sent"} <= set(actions)


async def test_twenty_concurrent_approvals_send_once(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    approvers = [ALI, SARA, REZA]
    results = await asyncio.gather(
        *(press_approve(service, request.id, approvers[i % 3]) for i in range(20))
    )
    kinds = sorted(d.kind for d, _ in results)
    assert kinds.count("approved") == 1
    assert kinds.count("already_decided") == 19
    sent = [o for _, o in results if o is not None]
    assert len(sent) == 1 and sent[0].kind == "sent"
    assert posts(sandbox) == 1
    assert len(await store.history_page(REQUESTER, 10)) == 1


async def test_reject_with_reason(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    decision = await service.reject(request.id, SARA, "متن اشتباه است")
    assert decision.kind == "rejected"
    stored = await store.get_request(request.id)
    assert stored.state == RequestState.REJECTED and stored.reason == "متن اشتباه است"
    assert stored.decided_by == SARA
    assert (await service.approve(request.id, ALI)).kind == "already_decided"
    assert posts(sandbox) == 0


async def test_withdraw_only_by_the_requester(service: BroadcastService, store: Store) -> None:
    request = await submit(service, store)
    assert (await service.withdraw(request.id, ALI)).kind == "not_allowed"
    assert (await service.withdraw(request.id, REQUESTER)).kind == "withdrawn"
    assert (await store.get_request(request.id)).state == RequestState.WITHDRAWN
    decision = await service.approve(request.id, ALI)
    assert decision.kind == "already_decided" and decision.state == RequestState.WITHDRAWN


async def test_expiry_by_ttl(
    service: BroadcastService, store: Store, clock: Clock, sandbox: RunningSandbox
) -> None:
    first = await submit(service, store)
    second = await submit(service, store)
    clock.offset = timedelta(hours=24, minutes=1)

    decision, outcome = await press_approve(service, first.id, ALI)
    assert decision.kind == "expired" and outcome is None
    assert (await store.get_request(first.id)).state == RequestState.EXPIRED
    assert [r.id for r in await service.expire_due()] == [second.id]
    assert posts(sandbox) == 0


async def test_tampered_snapshot_is_not_approved(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    # someone edits the stored snapshot behind the service's back
    await store._db.execute(
        "UPDATE approval_requests SET snapshot = replace(snapshot, 'سلام', 'بدرود') WHERE id = ?",
        (request.id,),
    )
    decision, outcome = await press_approve(service, request.id, ALI)
    assert decision.kind == "tampered" and outcome is None
    assert posts(sandbox) == 0


# ------------------------------------------------------------------ roles


async def test_removed_requester_cannot_be_approved_sent_or_retried(
    service: BroadcastService,
    store: Store,
    client: IPPanelClient,
    clock: Clock,
    sandbox: RunningSandbox,
) -> None:
    request = await submit(service, store)
    failed_request = await submit(service, store, text="پیام دیگر")
    sandbox.state.fail_next("/api/send", "401")
    _, failed = await press_approve(service, failed_request.id, ALI)
    assert failed.kind == "failed"

    # after a restart with REQUESTER no longer in ADMIN_IDS
    policy = Policy(
        approvers=frozenset({ALI, SARA}),
        approvals_required=True,
        approval_ttl=timedelta(hours=24),
        message_suffix=SUFFIX,
        requesters=frozenset({ALI, SARA}),
    )
    later = BroadcastService(store, client, policy, clock)
    assert [r.id for r in await later.void_removed_requesters()] == [request.id]
    stored = await store.get_request(request.id)
    assert stored.state == RequestState.WITHDRAWN
    decision, outcome = await press_approve(later, request.id, SARA)
    assert decision.kind == "already_decided" and outcome is None
    # refused, and says why: the requester is no longer an admin
    assert (await later.retry(failed.broadcast.id, ALI)).kind == "requester_removed"
    assert posts(sandbox) == 1  # the refused 401 only


async def test_removed_requester_at_decision_time_voids_the_request(
    store: Store, client: IPPanelClient, clock: Clock, sandbox: RunningSandbox
) -> None:
    open_policy = make_policy()
    request = await submit(BroadcastService(store, client, open_policy, clock), store)
    policy = Policy(
        approvers=open_policy.approvers,
        approvals_required=True,
        approval_ttl=timedelta(hours=24),
        requesters=frozenset({ALI}),
    )
    later = BroadcastService(store, client, policy, clock)
    decision, outcome = await press_approve(later, request.id, SARA)
    assert decision.kind == "requester_removed" and outcome is None
    assert (await store.get_request(request.id)).state == RequestState.WITHDRAWN
    # and a send of an approval that somehow exists is refused too
    assert (await later.send_approved(request, SARA)).kind == "not_allowed"
    assert posts(sandbox) == 0
