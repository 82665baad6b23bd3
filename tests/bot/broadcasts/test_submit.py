"""The broadcast service: submitting a draft for approval, and the money checks at submit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.broadcasts import BroadcastService, recipients_total
from bot.domain import RequestState, Step
from bot.ippanel import IPPanelClient
from sandbox import RunningSandbox
from storage import Store
from tests.broadcast_fixtures import (
    ALI,
    REQUESTER,
    REQUESTER_KEY,
    REZA,
    SARA,
    SUFFIX,
    Clock,
    make_draft,
    make_policy,
    posts,
    submit,
)
from tests.sandbox_fixtures import SANDBOX_KEY, closed_port_url, sandbox_client

pytestmark = REQUESTER_KEY


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
    assert request.snapshot.message == f"{draft.text}\n{SUFFIX}"
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
