"""The broadcast service: unknown outcomes, reconciled against the provider's list only
when it proves a send; recovery after a restart."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.broadcasts import BroadcastService
from bot.domain import BroadcastState, PhonebookSelection
from bot.ippanel import TransportError
from bot.trial_sms import send_trial
from sandbox import RunningSandbox
from storage import Store
from tests.broadcast_fixtures import (
    ALI,
    BOOK,
    REQUESTER,
    REQUESTER_KEY,
    SARA,
    STRANGER,
    SUFFIX,
    Clock,
    make_draft,
    make_policy,
    posts,
    press_approve,
    submit,
)
from tests.sandbox_fixtures import SANDBOX_KEY, closed_port_url, sandbox_client

pytestmark = REQUESTER_KEY


async def test_accept_then_hang_is_unknown_then_reconciled_as_sent(
    store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    async with sandbox_client(sandbox, connect_timeout=2.0, read_timeout=0.5) as impatient:
        service = BroadcastService(store, impatient, make_policy(), clock)
        request = await submit(service, store)
        sandbox.state.fail_next("/api/send", "accept_then_hang")
        _, outcome = await press_approve(service, request.id, ALI)

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
    _, outcome = await press_approve(service, request.id, ALI)
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
        _, outcome = await press_approve(service, request.id, ALI)
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
            _, outcome = await press_approve(service, request.id, approver)
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
    _, outcome = await press_approve(service, request.id, ALI)
    other = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")
    _, outcome2 = await press_approve(service, other.id, SARA)
    assert await store.claim_outbox(outcome.broadcast.id, 777)
    assert not await store.claim_outbox(outcome2.broadcast.id, 777)  # already owned
    assert (await store.get_broadcast(outcome2.broadcast.id)).state == BroadcastState.UNKNOWN
    assert posts(sandbox) == 2


async def test_reconcile_with_provider_unreachable_stays_unknown(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    request = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")
    _, outcome = await press_approve(service, request.id, ALI)
    clock.offset = timedelta(minutes=10)
    async with sandbox_client(closed_port_url(), connect_timeout=0.5) as dead:
        offline = BroadcastService(store, dead, make_policy(), clock)
        result = await offline.reconcile(outcome.broadcast.id)
    assert result.kind == "still_unknown"
    assert result.broadcast.state == BroadcastState.UNKNOWN


async def test_reconcile_ignores_an_identical_send_owned_by_another_broadcast(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    first = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")
    _, lost = await press_approve(service, first.id, ALI)
    second = await submit(service, store)  # same text, sent fine a moment later
    _, ok = await press_approve(service, second.id, SARA)
    assert ok.kind == "sent"

    clock.offset = timedelta(minutes=3)
    result = await service.reconcile(lost.broadcast.id)
    assert result.kind == "still_unknown"  # the sandbox's only send belongs to `ok`
    assert posts(sandbox) == 2


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


# ------------------------------------------- what a provider row can prove (issue #19)


async def _trial(store: Store, client, draft) -> None:
    """A test SMS of ``draft``'s exact text to the requester's phone, as the review sends."""
    outcome = await send_trial(
        store,
        client,
        draft=draft,
        message=draft.snapshot(SUFFIX).message,
        recipient="+989121234567",
        api_key=SANDBOX_KEY,
    )
    assert outcome.kind in ("sent", "unknown")


async def test_a_test_sms_is_never_proof_that_the_broadcast_went_out(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, client, clock: Clock
) -> None:
    """The usual habit: a test SMS of the text, then submit it. The broadcast's POST never
    reaches the panel; the test SMS's row (same line, same text, a minute earlier) must
    not settle it as sent."""
    draft = await make_draft(store)
    await _trial(store, client, draft)
    assert len(sandbox.state.sends) == 1
    result = await service.submit(draft, REQUESTER)
    assert result.request is not None
    sandbox.state.fail_next("/api/send", "500")  # not queued: the outcome is unknown
    _, outcome = await press_approve(service, result.request.id, ALI)
    assert outcome.kind == "unknown"

    clock.offset = timedelta(minutes=1)
    checked = await service.reconcile(outcome.broadcast.id)
    assert checked.kind == "still_unknown"
    assert checked.broadcast.state == BroadcastState.UNKNOWN and not checked.broadcast.outbox_ids
    assert await store._db.fetchall("SELECT * FROM outbox_claims") == []


async def test_a_test_sms_cut_off_mid_post_leaves_a_one_recipient_row_in_doubt(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    """A one-recipient broadcast and a test SMS whose outbox id the bot never learnt:
    the panel's list cannot tell their rows apart, so neither row is evidence."""
    one = PhonebookSelection(BOOK, "مشتریان", 25, mode="slice", start=1, size=1)
    draft = await make_draft(store, selections=[one])
    async with sandbox_client(sandbox, connect_timeout=2.0, read_timeout=0.5) as impatient:
        sandbox.state.fail_next("/api/send", "accept_then_hang", delay=2)
        await _trial(store, impatient, draft)  # queued at the panel, outcome unknown here
    (trial,) = await store.list_trials(REQUESTER)
    assert trial.state == "unknown" and trial.outbox_ids == []
    result = await service.submit(draft, REQUESTER)
    sandbox.state.fail_next("/api/send", "500")
    _, outcome = await press_approve(service, result.request.id, ALI)
    assert outcome.kind == "unknown"

    clock.offset = timedelta(minutes=2)
    assert (await service.reconcile(outcome.broadcast.id)).kind == "still_unknown"


async def test_a_row_for_another_audience_is_not_evidence(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, client, clock: Clock
) -> None:
    """Someone sends the same text from the panel to the whole book (25); our broadcast
    to rows 1-10 was never queued. The row's recipient count says it is not ours."""
    ten = PhonebookSelection(BOOK, "مشتریان", 25, mode="slice", start=1, size=10)
    request = await submit(service, store, selections=[ten])
    await client.send_to_phonebooks(
        SANDBOX_KEY,
        sender=request.snapshot.sender,
        message=request.snapshot.message,
        params=[{"type": "all", "phonebook_ids": [BOOK]}],
    )
    sandbox.state.fail_next("/api/send", "500")
    _, outcome = await press_approve(service, request.id, ALI)
    assert outcome.kind == "unknown"

    clock.offset = timedelta(minutes=1)
    assert (await service.reconcile(outcome.broadcast.id)).kind == "still_unknown"
    # the same row with the right count would have been claimed: the count is the reason
    (row,) = sandbox.state.sends.values()
    row.recipients = 10
    assert (await service.reconcile(outcome.broadcast.id)).kind == "sent"


async def test_outbox_ids_of_test_sms_are_owned(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, client
) -> None:
    draft = await make_draft(store)
    await _trial(store, client, draft)
    (trial,) = await store.list_trials(REQUESTER)
    assert trial.outbox_ids and await store.owned_outbox_ids(trial.outbox_ids) == set(
        trial.outbox_ids
    )
    request = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")
    _, outcome = await press_approve(service, request.id, ALI)
    assert not await store.claim_outbox(outcome.broadcast.id, trial.outbox_ids[0])
