"""IPPanelClient against the sandbox over real loopback HTTP: sends, scheduled sends and
their cancellation, the send list, validation errors."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import PhonebookSelection, selections_to_params
from bot.ippanel import (
    BulkStats,
    IPPanelClient,
    NotCancellableError,
    NotFoundError,
    SendRecord,
    TransportError,
    ValidationError,
)
from sandbox import RunningSandbox
from tests.ippanel_helpers import FIRST_BOOK, TEHRAN, send, whole
from tests.sandbox_fixtures import (
    SANDBOX_KEY,
    SANDBOX_KEY_2,
    SANDBOX_SENDER,
    closed_port_url,
    sandbox_client,
)

# -------------------------------------------------------------------- sends


async def test_send_consumes_credit_and_reports(ippanel: IPPanelClient) -> None:
    before = (await ippanel.credit(SANDBOX_KEY)).credit
    result = await send(ippanel)
    assert len(result.outbox_ids) == 1
    outbox_id = result.outbox_ids[0]
    report = await ippanel.report(SANDBOX_KEY, outbox_id=outbox_id)
    assert report.rcpts_count == 25 and report.state_id == 6 and report.part == 1
    after = (await ippanel.credit(SANDBOX_KEY)).credit
    assert before - after == report.cost > 0
    stats = await ippanel.bulk_stats(SANDBOX_KEY, bulk_id=outbox_id)
    assert isinstance(stats, BulkStats) and set(stats.operators) == {"mci", "irancell"}
    assert stats.total("sent") + stats.total("blacklist") == 25
    assert stats.total("delivered") <= stats.total("sent")


async def test_send_with_domain_selections(ippanel: IPPanelClient) -> None:
    contacts = await ippanel.contacts(SANDBOX_KEY, phonebook_id="120002", per_page=3)
    selections = [
        PhonebookSelection("120000", "مشتریان تهران", 25),
        PhonebookSelection("120001", "همکاران", 25, mode="slice", start=21, size=10),
        PhonebookSelection(
            "120002",
            "نمایندگان فروش",
            25,
            mode="contacts",
            contact_ids=[c.id for c in contacts.items],
        ),
    ]
    result = await send(ippanel, params=selections_to_params(selections))
    report = await ippanel.report(SANDBOX_KEY, outbox_id=result.outbox_ids[0])
    assert report.rcpts_count == sum(s.recipients() for s in selections) == 25 + 5 + 3


async def test_scheduled_send_is_utc_and_cancellable(
    ippanel: IPPanelClient, sandbox: RunningSandbox
) -> None:
    send_at = datetime.now(TEHRAN).replace(microsecond=0) + timedelta(hours=2)
    before = (await ippanel.credit(SANDBOX_KEY)).credit
    result = await send(ippanel, send_at=send_at)
    posted = sandbox.state.send_posts[-1].json
    assert posted["send_time"] == send_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert posted["sending_type"] == "phonebook" and posted["from_number"] == SANDBOX_SENDER
    outbox_id = result.outbox_ids[0]
    assert (await ippanel.report(SANDBOX_KEY, outbox_id=outbox_id)).state_id == 5
    message = await ippanel.cancel(SANDBOX_KEY, outbox_id=outbox_id)
    assert message == "انجام شد"
    assert (await ippanel.report(SANDBOX_KEY, outbox_id=outbox_id)).state_id == 7
    assert (await ippanel.credit(SANDBOX_KEY)).credit == before
    # cancelled already, and unknown: the one documented 404, worded for both cases
    for gone in (outbox_id, 42):
        with pytest.raises(NotCancellableError) as info:
            await ippanel.cancel(SANDBOX_KEY, outbox_id=gone)
        assert isinstance(info.value, NotFoundError) and info.value.status == 404
        assert info.value.message == "پیام یافت نشد یا قابل لغو نیست"
        assert info.value.message_code == "404-1"


async def test_list_sends_filters(ippanel: IPPanelClient) -> None:
    first = (await send(ippanel, message="تخفیف ویژه پاییز")).outbox_ids[0]
    second = (await send(ippanel, message="یادآوری جلسه", sender="+9850001234")).outbox_ids[0]
    page = await ippanel.list_sends(SANDBOX_KEY)
    assert [r.messages_outbox_id for r in page.items] == [second, first]
    assert all(isinstance(r, SendRecord) and r.created_at is not None for r in page.items)
    by_id = await ippanel.list_sends(SANDBOX_KEY, filters={"messages_outbox_id": str(first)})
    assert [r.message for r in by_id.items] == ["تخفیف ویژه پاییز"]
    by_text = await ippanel.list_sends(SANDBOX_KEY, filters={"message": "جلسه"})
    assert [r.messages_outbox_id for r in by_text.items] == [second]
    by_number = await ippanel.list_sends(SANDBOX_KEY, filters={"number": "+9850001234"})
    assert [r.from_number for r in by_number.items] == ["+9850001234"]
    recent = await ippanel.list_sends(
        SANDBOX_KEY, filters={"create_from_date": str(int(datetime.now(UTC).timestamp()) + 60)}
    )
    assert recent.items == []
    paged = await ippanel.list_sends(SANDBOX_KEY, limit=1, page=2)
    assert paged.total == 2 and paged.last_page == 2 and paged.items[0].messages_outbox_id == first
    other = await ippanel.list_sends(SANDBOX_KEY_2)
    assert other.items == []


async def test_sandbox_validation_reaches_client_as_422(ippanel: IPPanelClient) -> None:
    with pytest.raises(ValidationError) as info:
        await send(ippanel, sender="+9890005050")  # a line of another account
    assert info.value.status == 422 and "from_number" in info.value.errors
    assert info.value.certainly_not_sent
    with pytest.raises(NotFoundError) as missing:
        await send(ippanel, params=whole("999999"))
    assert missing.value.message_code == "404-1" and missing.value.certainly_not_sent
    with pytest.raises(ValidationError) as bad_contact:
        await send(
            ippanel, params=[{"type": "detail", "phonebook_id": FIRST_BOOK, "number_ids": ["1"]}]
        )
    assert "params.0.number_ids" in bad_contact.value.errors


async def test_async_with_closes() -> None:
    async with IPPanelClient(closed_port_url()) as client:
        assert "IPPanelClient" in repr(client)
    assert client._http.is_closed


async def test_on_wire_is_called_once_the_post_has_left(
    ippanel: IPPanelClient, sandbox: RunningSandbox
) -> None:
    """An approve press is answered once its POST has been written (handlers/approval.py):
    the client says so while the panel still holds the request, and once per send."""
    sandbox.state.fail_next("/api/send", "hang", delay=5)
    left = asyncio.Event()
    async with sandbox_client(sandbox, read_timeout=10) as client:
        sending = asyncio.create_task(send(client, on_wire=left.set))
        await asyncio.wait_for(left.wait(), 2)
        assert not sending.done() and sandbox.state.send_post_count == 1
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError, TransportError):
            await sending
    calls: list[str] = []
    result = await send(ippanel, on_wire=lambda: calls.append("left"))
    assert len(result.outbox_ids) == 1 and calls == ["left"]  # once, before the answer
