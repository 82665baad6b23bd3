"""IPPanelClient against the sandbox over real loopback HTTP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from bot.domain import PhonebookSelection, selections_to_params
from bot.ippanel import (
    AuthError,
    BulkStats,
    InsufficientCreditError,
    IPPanelClient,
    IPPanelError,
    NotCancellableError,
    NotFoundError,
    ProviderError,
    SenderLine,
    SendRecord,
    TransportError,
    ValidationError,
)
from bot.ippanel.bodies import list_filters
from bot.sandbox import RunningSandbox
from tests import sandbox_fixtures as fx
from tests.sandbox_fixtures import (
    SANDBOX_KEY,
    SANDBOX_KEY_2,
    SANDBOX_SENDER,
    closed_port_url,
    sandbox_client,
)

# pytest fixtures shared with other test modules
sandbox = fx.sandbox
ippanel = fx.ippanel

TEHRAN = timezone(timedelta(hours=3, minutes=30))
FIRST_BOOK = "120000"


def whole(*ids: str) -> list[dict[str, Any]]:
    return [{"type": "all", "phonebook_ids": list(ids)}]


async def send(client: IPPanelClient, **overrides: Any):
    kwargs: dict[str, Any] = {
        "sender": SANDBOX_SENDER,
        "message": "سلام، این یک پیام آزمایشی است",
        "params": whole(FIRST_BOOK),
    }
    kwargs.update(overrides)
    return await client.send_to_phonebooks(SANDBOX_KEY, **kwargs)


# ------------------------------------------------------------------ lookups


async def test_check_credential(ippanel: IPPanelClient) -> None:
    account = await ippanel.check_credential(SANDBOX_KEY)
    assert account.user_name == "sandbox"
    assert account.name == "شرکت نمونه تهران"
    assert account.send_block is False
    other = await ippanel.check_credential(SANDBOX_KEY_2)
    assert other.name != account.name


async def test_check_credential_unknown_key(ippanel: IPPanelClient) -> None:
    with pytest.raises(AuthError) as info:
        await ippanel.check_credential("not-a-real-key")
    assert info.value.status == 401
    assert info.value.message == "اطلاعات وارد شده صحیح نمی باشد"
    assert info.value.message_code == "400-1"


async def test_sender_lines_and_paging(ippanel: IPPanelClient) -> None:
    page = await ippanel.sender_lines(SANDBOX_KEY)
    assert page.items[0].number == "+983000505"
    assert all(isinstance(ln, SenderLine) and ln.number.startswith("+98") for ln in page.items)
    assert page.items[0].alias == "خط خدماتی"
    assert (page.total, len(page.items), page.has_next) == (3, 3, False)


async def test_sender_lines_without_pagination_meta_read_every_page(
    ippanel: IPPanelClient, sandbox: RunningSandbox
) -> None:
    """The documented line list has no total/last_page: pages are read until a short one."""
    small = await ippanel.sender_lines(SANDBOX_KEY, per_page=2)
    assert [ln.number for ln in small.items] == ["+983000505", "+9850001234", "+98210009876"]
    assert (small.total, small.has_next) == (3, False)
    asked = [r.query for r in sandbox.state.requests_to("/api/number/numbers")]
    assert [q["page"] for q in asked] == ["1", "2"]


async def test_sender_lines_stop_when_the_panel_ignores_page(sandbox: RunningSandbox) -> None:
    """A panel that answers every page with the same full page must not loop."""

    def same_page(request: httpx.Request) -> httpx.Response:
        rows = [{"id": i, "number": f"+98300050{i}"} for i in range(2)]
        return httpx.Response(200, json={"data": rows, "meta": {"status": True}})

    async with IPPanelClient("http://panel.test/v1", transport=httpx.MockTransport(same_page)) as c:
        lines = await c.sender_lines(SANDBOX_KEY, per_page=2)
    assert [ln.number for ln in lines.items] == ["+983000500", "+983000501"]


async def test_short_sender_line_is_listed_priced_and_sent_from(
    ippanel: IPPanelClient, sandbox: RunningSandbox
) -> None:
    """The docs show a line like +981000: what the panel lists must be usable."""
    lines = await ippanel.sender_lines(fx.SANDBOX_KEY_SHORT)
    assert [ln.number for ln in lines.items] == ["+981000"]
    price = await ippanel.calculate_price(fx.SANDBOX_KEY_SHORT, sender="+981000", message="سلام")
    assert price.parts == 1
    result = await ippanel.send_to_phonebooks(
        fx.SANDBOX_KEY_SHORT, sender="+981000", message="سلام", params=whole(FIRST_BOOK)
    )
    assert result.outbox_ids
    assert sandbox.state.send_posts[-1].json["from_number"] == "+981000"


async def test_phonebooks_pagination_and_title_filter(ippanel: IPPanelClient) -> None:
    first = await ippanel.phonebooks(SANDBOX_KEY, per_page=5)
    assert (first.page, first.last_page, first.total, len(first.items)) == (1, 3, 12, 5)
    assert first.items[0].title == "مشتریان تهران" and first.items[0].count == 25
    last = await ippanel.phonebooks(SANDBOX_KEY, page=3, per_page=5)
    assert len(last.items) == 2
    ids = {b.id for b in first.items} | {b.id for b in last.items}
    assert len(ids) == 7
    found = await ippanel.phonebooks(SANDBOX_KEY, title="همکاران")
    assert [b.title for b in found.items] == ["همکاران"]
    assert isinstance(found.items[0].id, str)
    none = await ippanel.phonebooks(SANDBOX_KEY, title="وجود ندارد")
    assert none.items == [] and none.total == 0


async def test_contacts_pagination_and_number_filter(ippanel: IPPanelClient) -> None:
    page = await ippanel.contacts(SANDBOX_KEY, phonebook_id=FIRST_BOOK, per_page=10)
    assert page.total == 25 and page.last_page == 3 and len(page.items) == 10
    rest = await ippanel.contacts(SANDBOX_KEY, phonebook_id=FIRST_BOOK, page=3, per_page=10)
    assert len(rest.items) == 5
    contact = page.items[3]
    assert contact.number.startswith("+989") and len(contact.number) == 13
    assert contact.phonebook_id == FIRST_BOOK and contact.phonebook_title == "مشتریان تهران"
    assert contact.name and isinstance(contact.id, str)
    found = await ippanel.contacts(SANDBOX_KEY, phonebook_id=FIRST_BOOK, number=contact.number)
    assert contact.id in [c.id for c in found.items]
    with pytest.raises(NotFoundError) as info:
        await ippanel.contacts(SANDBOX_KEY, phonebook_id="999")
    assert info.value.message == "دفترچه تلفن یافت نشد"


async def test_calculate_price_and_credit(ippanel: IPPanelClient) -> None:
    price = await ippanel.calculate_price(SANDBOX_KEY, sender=SANDBOX_SENDER, message="س" * 71)
    assert price.parts == 2 and price.mci_price == 2200 and price.other_price == 2500
    credit = await ippanel.credit(SANDBOX_KEY)
    assert credit.credit == 50_000_000 and credit.gift == 0


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


# --------------------------------------------------------- error statuses


@pytest.mark.parametrize(
    ("mode", "status", "error_type"),
    [
        ("401", 401, AuthError),
        ("404", 404, NotFoundError),
        ("422", 422, ValidationError),
        ("500", 500, ProviderError),
        ("not_json", 200, ProviderError),
    ],
)
async def test_error_statuses_on_read(
    ippanel: IPPanelClient, sandbox: RunningSandbox, mode: str, status: int, error_type: type
) -> None:
    sandbox.state.fail_next("/api/phonebooks/list-new", mode)
    with pytest.raises(error_type) as info:
        await ippanel.phonebooks(SANDBOX_KEY)
    err = info.value
    assert err.status == status and err.message and not err.outcome_unknown
    if mode == "422":
        assert err.errors == {"message": ["تکمیل گزینه پیام الزامی است"]}
    # HTTP error answers are not retried
    assert len(sandbox.state.requests_to("/api/phonebooks/list-new")) == 1


@pytest.mark.parametrize(
    ("mode", "status", "error_type", "unknown"),
    [
        ("401", None, AuthError, False),
        ("404", None, NotFoundError, False),
        ("422", None, ValidationError, False),
        ("500", None, ProviderError, True),
        ("not_json", 200, ProviderError, True),
        ("not_json", 500, ProviderError, True),
    ],
)
async def test_send_error_outcomes(
    ippanel: IPPanelClient,
    sandbox: RunningSandbox,
    mode: str,
    status: int | None,
    error_type: type,
    unknown: bool,
) -> None:
    sandbox.state.fail_next("/api/send", mode, status=status)
    with pytest.raises(error_type) as info:
        await send(ippanel)
    assert info.value.outcome_unknown is unknown
    assert info.value.certainly_not_sent is (not unknown)
    assert sandbox.state.send_post_count == 1


# ----------------------------------------------------- transport outcomes


async def test_accept_then_hang_is_unknown_and_not_retried(sandbox: RunningSandbox) -> None:
    sandbox.state.fail_next("/api/send", "accept_then_hang", delay=30)
    async with sandbox_client(sandbox, read_timeout=0.5) as client:
        with pytest.raises(TransportError) as info:
            await send(client)
    assert info.value.outcome_unknown is True and not info.value.certainly_not_sent
    assert sandbox.state.send_post_count == 1
    assert len(sandbox.state.sends) == 1  # it did go out


@pytest.mark.parametrize("mode", ["drop", "accept_then_drop"])
async def test_dropped_send_is_unknown_and_not_retried(
    ippanel: IPPanelClient, sandbox: RunningSandbox, mode: str
) -> None:
    sandbox.state.fail_next("/api/send", mode)
    with pytest.raises(TransportError) as info:
        await send(ippanel)
    assert info.value.outcome_unknown is True
    assert sandbox.state.send_post_count == 1
    assert len(sandbox.state.sends) == (1 if mode == "accept_then_drop" else 0)


async def test_connection_refused_is_certainly_not_sent() -> None:
    async with sandbox_client(closed_port_url(), connect_timeout=1.0) as client:
        with pytest.raises(TransportError) as info:
            await send(client)
        assert info.value.certainly_not_sent and info.value.status is None
        with pytest.raises(TransportError) as read_info:
            await client.credit(SANDBOX_KEY)
        assert read_info.value.outcome_unknown is False


async def test_read_only_call_retried_once_on_drop(
    ippanel: IPPanelClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.fail_next("/api/payment/credit/mine", "drop")
    credit = await ippanel.credit(SANDBOX_KEY)
    assert credit.credit == 50_000_000
    assert len(sandbox.state.requests_to("/api/payment/credit/mine")) == 2

    sandbox.state.fail_next("/api/payment/credit/mine", "drop", times=2)
    with pytest.raises(TransportError) as info:
        await ippanel.credit(SANDBOX_KEY)
    assert info.value.outcome_unknown is False
    assert len(sandbox.state.requests_to("/api/payment/credit/mine")) == 4


async def test_read_only_call_retried_once_on_timeout(sandbox: RunningSandbox) -> None:
    sandbox.state.fail_next("/api/number/numbers", "hang", delay=30)
    async with sandbox_client(sandbox, read_timeout=0.3) as client:
        page = await client.sender_lines(SANDBOX_KEY)
    assert page.total == 3
    assert len(sandbox.state.requests_to("/api/number/numbers")) == 2


async def test_send_not_retried_on_drop(ippanel: IPPanelClient, sandbox: RunningSandbox) -> None:
    sandbox.state.fail_next("/api/send", "drop")
    with pytest.raises(TransportError):
        await send(ippanel)
    assert sandbox.state.send_post_count == 1
    assert len(sandbox.state.requests_to("/api/send", "POST")) == 1


async def test_cancel_not_retried(ippanel: IPPanelClient, sandbox: RunningSandbox) -> None:
    sandbox.state.fail_next("/api/send/cancel", "drop")
    with pytest.raises(TransportError):
        await ippanel.cancel(SANDBOX_KEY, outbox_id=1)
    assert len(sandbox.state.requests_to("/api/send/cancel")) == 1


# ------------------------------------------------------ pre-network checks

LONG_GSM = "a" * 1401
LONG_UCS2 = "س" * (67 * 20 + 1)  # 1341 characters but 21 parts


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sender": ""}, "from_number"),
        ({"sender": "   "}, "from_number"),
        ({"sender": None}, "from_number"),
        ({"message": ""}, "message"),
        ({"message": "  \n "}, "message"),
        ({"message": LONG_GSM}, "message"),
        ({"message": LONG_UCS2}, "message"),
        ({"params": []}, "params"),
        ({"params": whole(FIRST_BOOK) * 101}, "params"),
        ({"params": [{"type": "all", "phonebook_ids": []}]}, "params.0.phonebook_ids"),
        (
            {"params": [{"type": "detail", "phonebook_id": FIRST_BOOK, "number_ids": []}]},
            "params.0.number_ids",
        ),
        (
            {"params": [{"type": "all", "phonebook_ids": [FIRST_BOOK], "start": "0", "size": "5"}]},
            "params.0.start",
        ),
        (
            {"params": [{"type": "all", "phonebook_ids": [FIRST_BOOK], "start": 1, "size": -3}]},
            "params.0.size",
        ),
        ({"params": [{"type": "some"}]}, "params.0.type"),
        ({"send_at": datetime(2099, 1, 1, 10, 0)}, "send_time"),
        ({"send_at": datetime.now(UTC) - timedelta(minutes=1)}, "send_time"),
    ],
)
async def test_pre_network_checks_make_no_request(
    ippanel: IPPanelClient, sandbox: RunningSandbox, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        await send(ippanel, **overrides)
    assert field in info.value.errors
    assert info.value.errors[field][0]  # a Persian message
    assert info.value.certainly_not_sent and info.value.status is None
    assert sandbox.state.requests == []


async def test_exactly_100_params_and_1400_gsm_chars_pass_checks(
    ippanel: IPPanelClient, sandbox: RunningSandbox
) -> None:
    result = await send(ippanel, message="a" * 1400, params=whole(FIRST_BOOK) * 100)
    assert result.outbox_ids


@pytest.mark.parametrize("key", ["", "key with space", "کلید-مخفی۱۲۳", "abc\r\nX-Evil: 1"])
async def test_malformed_key_refused_locally(
    ippanel: IPPanelClient, sandbox: RunningSandbox, key: str
) -> None:
    with pytest.raises(AuthError) as info:
        await ippanel.credit(key)
    assert sandbox.state.requests == []
    if key:
        assert key not in str(info.value) and key not in repr(info.value)


async def test_read_only_local_checks(ippanel: IPPanelClient, sandbox: RunningSandbox) -> None:
    with pytest.raises(ValidationError):
        await ippanel.phonebooks(SANDBOX_KEY, page=0)
    with pytest.raises(ValidationError):
        await ippanel.contacts(SANDBOX_KEY, phonebook_id=" ")
    with pytest.raises(ValidationError):
        await ippanel.calculate_price(SANDBOX_KEY, sender="", message="x")
    assert sandbox.state.requests == []


# ------------------------------------------------------------ key secrecy


def _texts(err: BaseException) -> list[str]:
    texts = [str(err), repr(err), *map(str, err.args)]
    for attr in ("message", "message_code", "errors", "cause_type"):
        texts.append(str(getattr(err, attr, "")))
    chained = err.__cause__ or err.__context__
    if chained is not None:
        texts += [str(chained), repr(chained)]
    return texts


async def test_key_never_in_errors_or_logs(
    sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = SANDBOX_KEY  # a valid key: the sandbox answers with data, faults, errors
    errors: list[IPPanelError] = []
    async with sandbox_client(sandbox, read_timeout=0.4) as client:
        await client.credit(secret)
        await send(client)
        for path, mode in [
            ("/api/send", "500"),
            ("/api/send", "accept_then_hang"),
            ("/api/send", "drop"),
            ("/api/send", "not_json"),
            ("/api/send", "422"),
            ("/api/payment/credit/mine", "401"),
        ]:
            sandbox.state.fail_next(path, mode, delay=10)
            try:
                if path == "/api/send":
                    await send(client)
                else:
                    await client.credit(secret)
            except IPPanelError as exc:
                errors.append(exc)
        for bad_call in (
            send(client, sender="bad"),
            client.check_credential("unknown-secret-key-123"),
        ):
            try:
                await bad_call
            except IPPanelError as exc:
                errors.append(exc)
    async with sandbox_client(closed_port_url()) as client:
        try:
            await client.credit(secret)
        except IPPanelError as exc:
            errors.append(exc)
    assert len(errors) == 9
    for err in errors:
        for text in _texts(err):
            assert secret not in text
            assert "unknown-secret-key-123" not in text
    assert caplog.records, "expected some log lines"
    assert secret not in caplog.text
    assert "unknown-secret-key-123" not in caplog.text
    assert any(r.name == "bot.ippanel" for r in caplog.records)


async def test_key_echoed_by_provider_is_scrubbed() -> None:
    secret = "echo-me-secret-42"

    def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers["Authorization"]
        return httpx.Response(
            422,
            json={
                "data": None,
                "meta": {
                    "status": False,
                    "message": f"کلید {key} نامعتبر",
                    "message_code": "400-2",
                    "errors": {"key": [f"bad {key}"]},
                },
            },
        )

    async with IPPanelClient("http://panel.test/v1", transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(ValidationError) as info:
            await c.credit(secret)
    assert all(secret not in text for text in _texts(info.value))
    assert info.value.errors == {"key": ["bad ***"]}


# --------------------------------------------------------------- models


def test_models_tolerate_strings_and_missing_fields() -> None:
    from bot.ippanel import BulkReport, Contact, Credit, Page, Phonebook, Price, SendResult

    assert Phonebook.from_api({"id": 5, "title": "x", "count": "12"}) == Phonebook("5", "x", 12)
    assert Price.from_api({"mci_price": "1100", "other_price": "1250.5", "parts": "2"}) == Price(
        1100, 1250.5, 2
    )
    assert Credit.from_api({}).credit == 0
    assert SendResult.from_api({"message_outbox_ids": ["7", 8]}).outbox_ids == [7, 8]
    report = BulkReport.from_api({"rcpts_count": "3", "time_send": "1745409418", "part": None})
    assert report.rcpts_count == 3 and report.part is None and report.time_send is not None
    contact = Contact.from_api({"id": 9, "number": "+989121234567", "phonebook_id": 3})
    assert (contact.id, contact.phonebook_id, contact.name) == ("9", "3", None)
    stats = BulkStats.from_api(
        {"operators_delivered": {"irancell": {"en": 0, "fa": "1"}, "mci": {"en": 2, "fa": 3}}}
    )
    assert stats.operators["mci"].delivered == 5 and stats.operators["irancell"].delivered == 1
    page = Page.from_api([{"id": 1}], {}, Phonebook.from_api, page=1, per_page=10)
    assert (page.total, page.last_page, page.items[0].id) == (1, 1, "1")


# ------------------------------------------------------- documented contract


def _panel(status: int, meta: dict[str, Any]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"data": None, "meta": {"status": False, **meta}})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(
    "meta",
    [
        {"message": "اعتبار ناکافی برای ارسال", "message_code": "400-2", "errors": {}},
        {"message": "x", "message_code": "400-2", "errors": {"credit": ["اعتبار کافی نیست"]}},
        {"message": "Insufficient credit", "message_code": "400-2", "errors": {}},
    ],
)
async def test_send_refused_for_credit_is_classified(meta: dict[str, Any]) -> None:
    async with IPPanelClient("http://panel.test/v1", transport=_panel(422, meta)) as client:
        with pytest.raises(InsufficientCreditError) as info:
            await send(client)
    assert isinstance(info.value, ValidationError)  # callers that know only 422 still work
    assert info.value.certainly_not_sent and info.value.status == 422


@pytest.mark.parametrize(
    "meta",
    [
        {"message": "تکمیل گزینه پیام الزامی است", "errors": {"message": ["الزامی"]}},
        {"message": "خطای اعتبارسنجی", "errors": {"from_number": ["نامعتبر"]}},
    ],
)
async def test_other_refusals_are_not_taken_for_credit(meta: dict[str, Any]) -> None:
    async with IPPanelClient("http://panel.test/v1", transport=_panel(422, meta)) as client:
        with pytest.raises(ValidationError) as info:
            await send(client)
    assert not isinstance(info.value, InsufficientCreditError)


async def test_list_filters_use_the_documented_types() -> None:
    assert list_filters(
        {
            "create_from_date": 1744102007,
            "send_to_date": datetime.fromtimestamp(1744102007, UTC),
            "messages_outbox_id": 1100972179,
            "state_id": 8,
            "from_exit_count": "1",
            "to_exit_count": 100,
            "number": "+98217000070",
            "message": None,
        }
    ) == {
        "create_from_date": "1744102007",
        "send_to_date": "1744102007",
        "messages_outbox_id": "1100972179",
        "state_id": "8",
        "from_exit_count": 1,
        "to_exit_count": 100,
        "number": "+98217000070",
    }
