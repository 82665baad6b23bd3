"""The broadcast service: send errors (each POST counted), approved-but-never-started
requests and direct sends: at most one POST per approved unit."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.broadcasts import BroadcastService, read_error
from bot.domain import BroadcastState, PhonebookSelection, RequestState, Step
from bot.ippanel import AuthError, IPPanelClient
from sandbox import RunningSandbox
from storage import Store
from tests.broadcast_fixtures import (
    ALI,
    REQUESTER,
    REQUESTER_KEY,
    STRANGER,
    Clock,
    make_draft,
    make_policy,
    posts,
    press_approve,
    submit,
)
from tests.sandbox_fixtures import SANDBOX_KEY, closed_port_url, sandbox_client
from tests.storage_fixtures import break_broadcast_rows, mend_broadcast_rows

pytestmark = REQUESTER_KEY


# -------------------------------------------------------------- send errors


async def test_401_on_send_fails_and_asks_for_a_new_key(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    sandbox.state.fail_next("/api/send", "401")
    _, outcome = await press_approve(service, request.id, ALI)
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
    _, outcome = await press_approve(service, request.id, ALI)
    assert outcome is not None and outcome.kind == "failed"
    assert outcome.fix_step == step
    assert not outcome.retryable and not outcome.needs_new_key
    assert posts(sandbox) == 1


async def test_500_on_send_is_unknown_and_never_retried(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)
    sandbox.state.fail_next("/api/send", "500")
    _, outcome = await press_approve(service, request.id, ALI)
    assert outcome is not None and outcome.kind == "unknown"
    assert outcome.broadcast.state == BroadcastState.UNKNOWN
    # the row keeps a code and figures, not the provider's words (they are in the audit)
    code, figures = read_error(outcome.broadcast.error)
    assert code == "provider" and figures["status"] == 500
    assert figures["kind"] == type(outcome.error).__name__
    said = [
        e.detail.get("provider_said") for e in await store.list_audit() if e.action == "unknown"
    ]
    assert said == [outcome.error.message]

    refused = await service.retry(outcome.broadcast.id, REQUESTER)
    assert refused.kind == "refused"
    assert posts(sandbox) == 1


async def test_connection_refused_fails_retryable_then_retry_sends_once(
    store: Store, client: IPPanelClient, sandbox: RunningSandbox, clock: Clock
) -> None:
    async with sandbox_client(closed_port_url(), connect_timeout=0.5) as dead:
        offline = BroadcastService(store, dead, make_policy(), clock)
        request = await submit(offline, store)
        _, outcome = await press_approve(offline, request.id, ALI)
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
    _, outcome = await press_approve(service, request.id, ALI)
    assert outcome is not None and outcome.kind == "no_key" and outcome.needs_new_key
    assert outcome.broadcast.state == BroadcastState.FAILED
    # only the submit-time price and credit reads; nothing at send time
    assert {r.path for r in sandbox.state.requests} == {
        "/v1/api/send/calculate-price",
        "/v1/api/payment/credit/mine",
    }
    assert posts(sandbox) == 0


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


async def test_direct_send_goes_through_the_lifecycle_a_removed_admin_posts_nothing(
    store: Store, client: IPPanelClient, sandbox: RunningSandbox, clock: Clock
) -> None:
    """Approvals off: the lifecycle judges the direct send in the store's CAS, as every
    other POST; a requester no longer in ADMIN_IDS gets no row and no POST."""
    policy = replace(make_policy(required=False), requesters=frozenset({ALI}))
    service = BroadcastService(store, client, policy, clock)
    draft = await make_draft(store)
    assert (await service.send_direct(draft, REQUESTER)).kind == "requester_removed"
    assert await store.get_broadcast_by_direct_key(f"{draft.id}:{draft.version}") is None
    assert posts(sandbox) == 0


# ------------------------------------------------------ approved, never started


async def test_store_error_after_approval_is_not_started_then_one_tap_sends_once(
    service: BroadcastService, store: Store, sandbox: RunningSandbox
) -> None:
    request = await submit(service, store)

    await break_broadcast_rows(store)  # the approval's own transaction cannot write the row
    decision, outcome = await press_approve(service, request.id, ALI)
    assert decision.kind == "approved" and outcome.kind == "not_started"
    assert (await store.get_request(request.id)).state == RequestState.APPROVED
    await mend_broadcast_rows(store)

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
