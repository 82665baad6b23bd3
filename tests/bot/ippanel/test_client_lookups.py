"""IPPanelClient against the sandbox over real loopback HTTP: credentials, sender lines,
phonebooks, contacts, price and credit."""

from __future__ import annotations

import httpx
import pytest

from bot.ippanel import AuthError, IPPanelClient, NotFoundError, SenderLine
from sandbox import RunningSandbox
from tests import sandbox_fixtures as fx
from tests.ippanel_helpers import FIRST_BOOK, whole
from tests.sandbox_fixtures import SANDBOX_KEY, SANDBOX_KEY_2, SANDBOX_SENDER

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
