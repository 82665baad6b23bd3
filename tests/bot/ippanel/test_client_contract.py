"""IPPanelClient: tolerant models and the provider's documented contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.ippanel import BulkStats, InsufficientCreditError, IPPanelClient, ValidationError
from bot.ippanel.bodies import list_filters
from tests.ippanel_helpers import send

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
