"""The broadcast service after a send: cancelling a scheduled send, delivery report, credit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.broadcasts import BroadcastService
from bot.domain import BroadcastState
from bot.ippanel import AuthError
from sandbox import RunningSandbox
from storage import Store
from tests.broadcast_fixtures import (
    ALI,
    REQUESTER,
    REQUESTER_KEY,
    SARA,
    STRANGER,
    Clock,
    press_approve,
    submit,
)

pytestmark = REQUESTER_KEY


# ------------------------------------------------------------- after send


async def test_cancel_scheduled_send(
    service: BroadcastService, store: Store, sandbox: RunningSandbox, clock: Clock
) -> None:
    request = await submit(service, store, send_at=clock() + timedelta(hours=1))
    _, outcome = await press_approve(service, request.id, ALI)
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
    _, outcome = await press_approve(service, request.id, ALI)
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
    _, outcome = await press_approve(service, request.id, ALI)
    assert (await service.cancel(outcome.broadcast.id, ALI)).kind == "not_scheduled"


async def test_delivery_report_and_credit(service: BroadcastService, store: Store) -> None:
    request = await submit(service, store)
    _, outcome = await press_approve(service, request.id, ALI)

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
