"""The broadcast service end to end: real Store (SQLite file), real IPPanelClient,
real sandbox over loopback. The one thing counted everywhere is POSTs to /api/send."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography.fernet import Fernet, MultiFernet

from bot.broadcasts import BroadcastService, Policy, recipients_total
from bot.domain import (
    ApprovalRequest,
    BroadcastState,
    Draft,
    PhonebookSelection,
    RequestState,
    Step,
)
from bot.ippanel import AuthError, IPPanelClient, TransportError
from bot.sandbox import RunningSandbox
from storage import Store
from tests.sandbox_fixtures import (
    SANDBOX_KEY,
    SANDBOX_SENDER,
    closed_port_url,
    running_sandbox,
    sandbox_client,
)

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


# ------------------------------------------------------------------ submit


async def test_submit_creates_pending_request_for_the_other_approvers(
    service: BroadcastService, store: Store, clock: Clock
) -> None:
    draft = await make_draft(store)
    result = await service.submit(draft, REQUESTER)

    assert result.kind == "pending"
    assert result.approvers == [ALI, SARA, REZA]
    request = result.request
    assert request is not None and request.state == RequestState.PENDING
    assert request.snapshot["message"] == f"{draft.text}\n{SUFFIX}"
    assert recipients_total(request.snapshot) == 25
    assert abs(request.expires_at - (clock() + timedelta(hours=24))) < timedelta(seconds=5)
    assert [e.action for e in await store.list_audit()] == ["submitted"]


async def test_scheduled_request_expires_at_its_send_time(
    service: BroadcastService, store: Store, clock: Clock
) -> None:
    send_at = (clock() + timedelta(hours=2)).replace(microsecond=0)
    request = await submit(service, store, send_at=send_at)
    assert request.expires_at == send_at


@pytest.mark.parametrize(
    ("fields", "step"),
    [
        ({"sender": None}, Step.SENDER),
        ({"selections": []}, Step.PHONEBOOKS),
        ({"text": "   "}, Step.TEXT),
        ({"text": "ب" * 1401}, Step.TEXT),
        ("soon", Step.TIME),
    ],
)
async def test_submit_incomplete_names_the_step(
    service: BroadcastService, store: Store, clock: Clock, fields: object, step: Step
) -> None:
    if fields == "soon":
        fields = {"send_at": clock() + timedelta(minutes=5)}
    assert isinstance(fields, dict)
    result = await service.submit(await make_draft(store, **fields), REQUESTER)
    assert result.kind == "incomplete" and result.missing_step == step


async def test_no_other_approver_creates_no_request(
    store: Store, client: IPPanelClient, clock: Clock
) -> None:
    service = BroadcastService(store, client, make_policy({REQUESTER}), clock)
    draft = await make_draft(store)
    result = await service.submit(draft, REQUESTER)
    assert result.kind == "no_approver"
    assert await store.pending_request_for_draft(draft.id) is None


async def test_direct_send_when_approvals_are_off(
    store: Store, client: IPPanelClient, clock: Clock, sandbox: RunningSandbox
) -> None:
    service = BroadcastService(store, client, make_policy(required=False), clock)
    draft = await make_draft(store)
    assert (await service.submit(draft, REQUESTER)).kind == "direct"

    outcome = await service.send_direct(draft, REQUESTER)
    assert outcome.kind == "sent" and outcome.broadcast is not None
    assert outcome.broadcast.request_id is None
    # a double click on "send now" does not send twice
    again = await service.send_direct(draft, REQUESTER)
    assert again.kind == "duplicate"
    assert posts(sandbox) == 1


async def test_send_direct_refused_while_approvals_are_required(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    outcome = await service.send_direct(await make_draft(store), REQUESTER)
    assert outcome.kind == "not_allowed"
    assert posts(sandbox) == 0


# ---------------------------------------------------------------- decisions


async def test_self_approval_and_self_rejection_refused(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    decision, outcome = await service.approve_and_send(request.id, REQUESTER)
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
    decision, outcome = await service.approve_and_send(request.id, ALI)

    assert decision.kind == "approved"
    assert outcome is not None and outcome.kind == "sent"
    assert posts(sandbox) == 1
    body = sandbox.state.send_posts[0].json
    assert body["from_number"] == SANDBOX_SENDER
    assert body["message"] == request.snapshot["message"]
    assert body["params"] == [{"type": "all", "phonebook_ids": [BOOK]}]
    assert "send_time" not in body

    b = await store.get_broadcast_for_request(request.id)
    assert b is not None and b.state == BroadcastState.SENT
    assert b.outbox_ids == list(sandbox.state.sends) and b.approver_id == ALI
    assert (await store.get_profile(REQUESTER)).last_sender == SANDBOX_SENDER

    late, none = await service.approve_and_send(request.id, SARA)
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
        *(service.approve_and_send(request.id, approvers[i % 3]) for i in range(20))
    )
    kinds = sorted(d.kind for d, _ in results)
    assert kinds.count("approved") == 1
    assert kinds.count("already_decided") == 19
    sent = [o for _, o in results if o is not None]
    assert len(sent) == 1 and sent[0].kind == "sent"
    assert posts(sandbox) == 1
    assert await store.count_broadcasts(REQUESTER) == 1


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

    decision, outcome = await service.approve_and_send(first.id, ALI)
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
    decision, outcome = await service.approve_and_send(request.id, ALI)
    assert decision.kind == "tampered" and outcome is None
    assert posts(sandbox) == 0


# -------------------------------------------------------------- send errors


async def test_401_on_send_fails_and_asks_for_a_new_key(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    sandbox.state.fail_next("/api/send", "401")
    _, outcome = await service.approve_and_send(request.id, ALI)
    assert outcome is not None and outcome.kind == "failed"
    assert isinstance(outcome.error, AuthError)
    assert outcome.needs_new_key and not outcome.retryable
    assert outcome.broadcast.state == BroadcastState.FAILED
    assert SANDBOX_KEY not in (outcome.broadcast.error or "")


@pytest.mark.parametrize(
    ("fault", "fields", "step"),
    [
        ("422", {}, Step.TEXT),  # the sandbox's canned 422 is about "message"
        (None, {"sender": "+9890005050"}, Step.SENDER),  # a line of another account
        (None, {"selections": [PhonebookSelection("999999", "گم‌شده", 3)]}, Step.PHONEBOOKS),
    ],
)
async def test_refused_send_names_the_step_to_fix(
    service: BroadcastService,
    store: Store,
    sandbox: RunningSandbox,
    fault: str | None,
    fields: dict[str, object],
    step: Step,
) -> None:
    request = await submit(service, store, **fields)
    if fault:
        sandbox.state.fail_next("/api/send", fault)
    _, outcome = await service.approve_and_send(request.id, ALI)
    assert outcome is not None and outcome.kind == "failed"
    assert outcome.fix_step == step
    assert not outcome.retryable and not outcome.needs_new_key
    assert posts(sandbox) == 1


async def test_500_on_send_is_unknown_and_never_retried(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")
    _, outcome = await service.approve_and_send(request.id, ALI)
    assert outcome is not None and outcome.kind == "unknown"
    assert outcome.broadcast.state == BroadcastState.UNKNOWN
    assert outcome.broadcast.error == outcome.error.message

    refused = await service.retry(outcome.broadcast.id, REQUESTER)
    assert refused.kind == "refused"
    assert posts(sandbox) == 1


async def test_accept_then_hang_is_unknown_then_reconciled_as_sent(
    store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    async with sandbox_client(sandbox, connect_timeout=2.0, read_timeout=0.5) as impatient:
        service = BroadcastService(store, impatient, make_policy(), clock)
        request = await submit(service, store)
        sandbox.state.fail_next("/api/send", "accept_then_hang")
        _, outcome = await service.approve_and_send(request.id, ALI)

        assert outcome is not None and outcome.kind == "unknown"
        assert isinstance(outcome.error, TransportError)
        assert posts(sandbox) == 1 and len(sandbox.state.sends) == 1

        result = await service.reconcile(outcome.broadcast.id)
        assert result.kind == "sent"
        assert result.broadcast.state == BroadcastState.SENT
        assert result.broadcast.outbox_ids == list(sandbox.state.sends)
        assert posts(sandbox) == 1


async def test_absence_is_never_proof_only_a_person_confirms_not_sent(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    request = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")  # refused before the sandbox queued it
    _, outcome = await service.approve_and_send(request.id, ALI)
    broadcast_id = outcome.broadcast.id

    assert (await service.reconcile(broadcast_id)).kind == "still_unknown"
    clock.offset = timedelta(hours=1)  # no provider row, an hour later: still proves nothing
    result = await service.reconcile(broadcast_id)
    assert result.kind == "still_unknown" and result.broadcast.state == BroadcastState.UNKNOWN
    assert (await service.retry(broadcast_id, ALI)).kind == "refused"
    assert posts(sandbox) == 1

    # a person who checked the panel's outbox says so; audited with who, then retry is open
    assert (await service.confirm_not_sent(broadcast_id, STRANGER)).kind == "not_allowed"
    confirmed = await service.confirm_not_sent(broadcast_id, SARA)
    assert confirmed.kind == "confirmed" and confirmed.broadcast.state == BroadcastState.FAILED
    assert (await service.confirm_not_sent(broadcast_id, ALI)).kind == "not_unknown"
    audit = [e for e in await store.list_audit() if e.action == "confirmed_not_sent"]
    assert len(audit) == 1 and audit[0].actor_id == SARA
    retried = await service.retry(broadcast_id, ALI)
    assert retried.kind == "sent" and retried.broadcast.attempts == 2
    assert posts(sandbox) == 2  # the 500 one (never queued) and the one retry


@pytest.mark.parametrize("provider_skew", [-90, 90])
async def test_reconcile_tolerates_the_provider_clock_either_way(
    store: Store, sandbox: RunningSandbox, clock: Clock, provider_skew: int
) -> None:
    # the provider stamps its rows 90 s behind (or ahead of) our clock
    sandbox.state.clock_offset = timedelta(seconds=provider_skew)
    async with sandbox_client(sandbox, connect_timeout=2.0, read_timeout=0.5) as impatient:
        service = BroadcastService(store, impatient, make_policy(), clock)
        request = await submit(service, store)
        sandbox.state.fail_next("/api/send", "accept_then_hang", delay=2)
        _, outcome = await service.approve_and_send(request.id, ALI)
        assert outcome is not None and outcome.kind == "unknown"

        result = await service.reconcile(outcome.broadcast.id)
        assert result.kind == "sent"
        assert result.broadcast.outbox_ids == list(sandbox.state.sends)
        filters = sandbox.state.requests_to("/api/report/new_list")[-1].json["filters"]
        assert isinstance(filters["create_from_date"], str)  # the contract: strings
    assert posts(sandbox) == 1


async def test_two_identical_unknown_sends_that_both_went_out_are_both_sent(
    store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    async with sandbox_client(sandbox, connect_timeout=2.0, read_timeout=0.5) as impatient:
        service = BroadcastService(store, impatient, make_policy(), clock)
        lost = []
        for approver in (ALI, SARA):
            request = await submit(service, store)  # the same text twice
            sandbox.state.fail_next("/api/send", "accept_then_hang", delay=2)
            _, outcome = await service.approve_and_send(request.id, approver)
            assert outcome is not None and outcome.kind == "unknown"
            lost.append(outcome.broadcast.id)
        assert posts(sandbox) == 2 and len(sandbox.state.sends) == 2

        clock.offset = timedelta(minutes=5)
        first, second = [await service.reconcile(bid) for bid in lost]
    assert first.kind == "sent" and second.kind == "sent"
    assert first.broadcast.outbox_ids == [min(sandbox.state.sends)]
    assert second.broadcast.outbox_ids == [max(sandbox.state.sends)]
    assert posts(sandbox) == 2
    claims = await store._db.fetchall("SELECT outbox_id, broadcast_id FROM outbox_claims")
    assert sorted((r[1], r[0]) for r in claims) == [
        (lost[0], min(sandbox.state.sends)),
        (lost[1], max(sandbox.state.sends)),
    ]


async def test_a_provider_row_is_claimed_once_in_the_store(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")
    _, outcome = await service.approve_and_send(request.id, ALI)
    other = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")
    _, outcome2 = await service.approve_and_send(other.id, SARA)
    assert await store.claim_outbox(outcome.broadcast.id, 777)
    assert not await store.claim_outbox(outcome2.broadcast.id, 777)  # already owned
    assert (await store.get_broadcast(outcome2.broadcast.id)).state == BroadcastState.UNKNOWN
    assert posts(sandbox) == 2


async def test_reconcile_with_provider_unreachable_stays_unknown(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    request = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")
    _, outcome = await service.approve_and_send(request.id, ALI)
    clock.offset = timedelta(minutes=10)
    async with sandbox_client(closed_port_url(), connect_timeout=0.5) as dead:
        offline = BroadcastService(store, dead, make_policy(), clock)
        result = await offline.reconcile(outcome.broadcast.id)
    assert result.kind == "still_unknown"
    assert result.broadcast.state == BroadcastState.UNKNOWN


async def test_connection_refused_fails_retryable_then_retry_sends_once(
    store: Store, client: IPPanelClient, sandbox: RunningSandbox, clock: Clock
) -> None:
    async with sandbox_client(closed_port_url(), connect_timeout=0.5) as dead:
        offline = BroadcastService(store, dead, make_policy(), clock)
        request = await submit(offline, store)
        _, outcome = await offline.approve_and_send(request.id, ALI)
    assert outcome is not None and outcome.kind == "failed"
    assert outcome.retryable and not outcome.needs_new_key
    assert posts(sandbox) == 0

    online = BroadcastService(store, client, make_policy(), clock)
    assert (await online.retry(outcome.broadcast.id, STRANGER)).kind == "not_allowed"
    retried = await online.retry(outcome.broadcast.id, REQUESTER)
    assert retried.kind == "sent" and retried.broadcast.attempts == 2
    assert retried.broadcast.outbox_ids == list(sandbox.state.sends)
    assert (await online.retry(outcome.broadcast.id, REQUESTER)).kind == "duplicate"
    assert posts(sandbox) == 1


async def test_missing_key_fails_without_any_request(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    await store.delete_api_key(REQUESTER)
    _, outcome = await service.approve_and_send(request.id, ALI)
    assert outcome is not None and outcome.kind == "no_key" and outcome.needs_new_key
    assert outcome.broadcast.state == BroadcastState.FAILED
    # only the submit-time price and credit reads; nothing at send time
    assert {r.path for r in sandbox.state.requests} == {
        "/v1/api/send/calculate-price",
        "/v1/api/payment/credit/mine",
    }
    assert posts(sandbox) == 0


# ------------------------------------------------------------ housekeeping


async def test_recover_after_restart_marks_sending_rows_unknown(
    service: BroadcastService, store: Store
) -> None:
    request = await submit(service, store)
    b = await store.start_broadcast(
        request_id=request.id, requester_id=REQUESTER, approver_id=ALI, snapshot=request.snapshot
    )
    recovered = await service.recover_after_restart()
    assert [r.id for r in recovered] == [b.id]
    assert (await store.get_broadcast(b.id)).state == BroadcastState.UNKNOWN


# ------------------------------------------------------------- after send


async def test_cancel_scheduled_send(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    request = await submit(service, store, send_at=clock() + timedelta(hours=1))
    _, outcome = await service.approve_and_send(request.id, ALI)
    assert outcome is not None and outcome.kind == "sent"
    assert "send_time" in sandbox.state.send_posts[0].json

    assert (await service.cancel(outcome.broadcast.id, STRANGER)).kind == "not_allowed"
    result = await service.cancel(outcome.broadcast.id, REQUESTER)
    assert result.kind == "cancelled" and result.message
    assert result.broadcast.state == BroadcastState.CANCELLED
    assert sandbox.state.sends[outcome.broadcast.outbox_ids[0]].state_id == 7


async def test_cancel_too_close_is_refused_locally_and_by_the_provider(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    request = await submit(service, store, send_at=clock() + timedelta(minutes=11))
    _, outcome = await service.approve_and_send(request.id, ALI)
    b = outcome.broadcast

    clock.offset = timedelta(minutes=7)  # 4 minutes left
    assert (await service.cancel(b.id, REQUESTER)).kind == "too_late"
    assert sandbox.state.requests_to("/api/send/cancel") == []

    # our clock says 11 minutes left, the provider's says 4: its documented 404
    # ("not found or no longer cancellable") is reported as such
    clock.offset = timedelta(0)
    sandbox.state.advance(7 * 60)
    refused = await service.cancel(b.id, REQUESTER)
    assert refused.kind == "gone" and refused.message == "پیام یافت نشد یا قابل لغو نیست"
    assert (await store.get_broadcast(b.id)).state == BroadcastState.SENT


async def test_cancel_of_an_immediate_send_is_not_scheduled(
    service: BroadcastService, store: Store
) -> None:
    request = await submit(service, store)
    _, outcome = await service.approve_and_send(request.id, ALI)
    assert (await service.cancel(outcome.broadcast.id, ALI)).kind == "not_scheduled"


async def test_delivery_report_and_credit(service: BroadcastService, store: Store) -> None:
    request = await submit(service, store)
    _, outcome = await service.approve_and_send(request.id, ALI)

    assert (await service.delivery_report(outcome.broadcast.id, STRANGER)).kind == "not_allowed"
    report = await service.delivery_report(outcome.broadcast.id, SARA)
    assert report.kind == "ok" and len(report.reports) == 1
    assert report.reports[0].rcpts_count == 25
    assert report.total("sent") + report.total("blacklist") == 25
    assert set(report.operators) >= {"mci", "irancell"}

    credit = await service.credit(REQUESTER)
    assert credit.credit > 0
    with pytest.raises(AuthError):
        await service.credit(STRANGER)


async def test_reconcile_ignores_an_identical_send_owned_by_another_broadcast(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    first = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")
    _, lost = await service.approve_and_send(first.id, ALI)
    second = await submit(service, store)  # same text, sent fine a moment later
    _, ok = await service.approve_and_send(second.id, SARA)
    assert ok.kind == "sent"

    clock.offset = timedelta(minutes=3)
    result = await service.reconcile(lost.broadcast.id)
    assert result.kind == "still_unknown"  # the sandbox's only send belongs to `ok`
    assert posts(sandbox) == 2


async def test_direct_send_after_a_certain_failure_may_go_again(
    store: Store, client: IPPanelClient, sandbox: RunningSandbox, clock: Clock
) -> None:
    service = BroadcastService(store, client, make_policy(required=False), clock)
    draft = await make_draft(store)
    sandbox.state.fail_next("/api/send", "401")
    assert (await service.send_direct(draft, REQUESTER)).kind == "failed"
    assert (await service.send_direct(draft, REQUESTER)).kind == "sent"
    assert (await service.send_direct(draft, REQUESTER)).kind == "duplicate"
    assert posts(sandbox) == 2


# ------------------------------------------------------------------ money


async def test_submit_without_a_readable_key_is_refused(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    await store.delete_api_key(REQUESTER)
    draft = await make_draft(store)
    assert (await service.submit(draft, REQUESTER)).kind == "no_key"
    assert await store.list_pending_requests() == []
    assert posts(sandbox) == 0 and sandbox.state.requests == []


async def test_submit_with_a_credit_known_short_is_refused_with_the_missing_amount(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    draft = await make_draft(store)
    checked = await service.submit(draft, REQUESTER)  # plenty of credit: passes, with numbers
    assert checked.kind == "pending" and checked.money is not None
    money = checked.money
    assert money.cost_low and money.cost_high and money.credit and not money.maybe_short
    assert money.cost_low <= money.cost_high

    sandbox.state.set_credit(SANDBOX_KEY, int(money.cost_low) - 1000)
    refused = await service.submit(draft, REQUESTER)
    assert refused.kind == "short_credit" and refused.money is not None
    assert refused.money.known_short == 1000
    assert [r.id for r in await store.list_pending_requests()] == [checked.request.id]

    sandbox.state.set_credit(SANDBOX_KEY, int(money.cost_low))  # enough only at the low price
    warned = await service.submit(draft, REQUESTER)
    assert warned.kind == "pending" and warned.money.maybe_short
    assert warned.money.known_short is None
    assert posts(sandbox) == 0


async def test_provider_down_at_submit_leaves_the_money_unknown(
    store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    async with sandbox_client(closed_port_url(), connect_timeout=0.5) as dead:
        service = BroadcastService(store, dead, make_policy(), clock)
        result = await service.submit(await make_draft(store), REQUESTER)
    assert result.kind == "pending" and result.money is not None
    assert result.money.credit is None and result.money.cost_low is None
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
    _, failed = await service.approve_and_send(failed_request.id, ALI)
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
    decision, outcome = await later.approve_and_send(request.id, SARA)
    assert decision.kind == "already_decided" and outcome is None
    assert (await later.retry(failed.broadcast.id, ALI)).kind == "not_allowed"
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
    decision, outcome = await later.approve_and_send(request.id, SARA)
    assert decision.kind == "requester_removed" and outcome is None
    assert (await store.get_request(request.id)).state == RequestState.WITHDRAWN
    # and a send of an approval that somehow exists is refused too
    assert (await later.send_approved(request, SARA)).kind == "not_allowed"
    assert posts(sandbox) == 0


# ------------------------------------------------------ approved, never started


async def test_store_error_after_approval_is_not_started_then_one_tap_sends_once(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, monkeypatch
) -> None:
    request = await submit(service, store)

    async def broken(**_: object) -> None:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(store, "start_broadcast", broken)
    decision, outcome = await service.approve_and_send(request.id, ALI)
    assert decision.kind == "approved" and outcome.kind == "not_started"
    monkeypatch.undo()

    stranded = await service.stranded_approvals()
    assert [(s.request.id, s.voided) for s in stranded] == [(request.id, False)]
    assert (await service.start_stranded(request.id, STRANGER)).kind == "not_allowed"
    first, second = await asyncio.gather(
        service.start_stranded(request.id, REQUESTER), service.start_stranded(request.id, ALI)
    )
    assert sorted([first.kind, second.kind]) == ["duplicate", "sent"]
    assert await service.stranded_approvals() == []
    b = await store.get_broadcast_for_request(request.id)
    assert b.approver_id == ALI and b.state == BroadcastState.SENT
    assert posts(sandbox) == 1


# ------------------------------------------------------------ direct sends


async def test_direct_double_tap_across_a_restart_sends_once(
    store: Store, client: IPPanelClient, sandbox: RunningSandbox, clock: Clock
) -> None:
    draft = await make_draft(store)
    first = BroadcastService(store, client, make_policy(required=False), clock)
    assert (await first.send_direct(draft, REQUESTER)).kind == "sent"
    # a new process: nothing in memory, only the store remembers
    second = BroadcastService(store, client, make_policy(required=False), clock)
    again = await second.send_direct(draft, REQUESTER)
    assert again.kind == "duplicate" and again.broadcast is not None
    assert posts(sandbox) == 1
    # an edited draft is a new version: a new send
    edited = await store.save_draft(draft)
    assert (await second.send_direct(edited, REQUESTER)).kind == "sent"
    assert posts(sandbox) == 2


async def test_direct_double_tap_at_once_sends_once(
    store: Store, client: IPPanelClient, sandbox: RunningSandbox, clock: Clock
) -> None:
    draft = await make_draft(store)
    services = [BroadcastService(store, client, make_policy(required=False), clock) for _ in "ab"]
    outcomes = await asyncio.gather(*(s.send_direct(draft, REQUESTER) for s in services * 3))
    assert sorted(o.kind for o in outcomes) == ["duplicate"] * 5 + ["sent"]
    assert posts(sandbox) == 1
