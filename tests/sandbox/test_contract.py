"""The fake IPPanel panel answers as the provider's documentation says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.ippanel import InsufficientCreditError
from tests import sandbox_fixtures as fx
from tests.sandbox_fixtures import SANDBOX_KEY, SANDBOX_SENDER

# ------------------------------------------------- the documented contract


async def test_cancel_answers_exactly_as_documented(sandbox) -> None:
    """send/cancel-scheduled.md: success has data null; unknown or too late is a 404, 404-1."""
    headers = {"Authorization": SANDBOX_KEY}
    send_time = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    body = {
        "sending_type": "phonebook",
        "from_number": SANDBOX_SENDER,
        "message": "یادآوری",
        "params": [{"type": "all", "phonebook_ids": ["120000"]}],
        "send_time": send_time,
    }
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers) as http:
        sent = await http.post("/api/send", json=body)
        outbox_id = sent.json()["data"]["message_outbox_ids"][0]
        ok = await http.post("/api/send/cancel", json={"message_outbox_id": outbox_id})
        assert ok.status_code == 200
        assert ok.json()["data"] is None and ok.json()["meta"]["message_code"] == "200-1"
        for gone in (outbox_id, 7):  # cancelled already; never existed
            resp = await http.post("/api/send/cancel", json={"message_outbox_id": gone})
            assert resp.status_code == 404
            assert resp.json() == {
                "data": None,
                "meta": {
                    "status": False,
                    "message": "پیام یافت نشد یا قابل لغو نیست",
                    "message_parameters": [],
                    "message_code": "404-1",
                    "errors": {},
                },
            }


async def test_sender_lines_answer_has_no_pagination_meta(sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        resp = await http.get(
            "/api/number/numbers",
            params={"page": 2, "per_page": 2},
            headers={"Authorization": SANDBOX_KEY},
        )
    body = resp.json()
    assert [row["number"] for row in body["data"]] == ["+98210009876"]
    assert "total" not in body["meta"] and "last_page" not in body["meta"]
    assert body["meta"]["status"] is True


async def test_short_line_account_is_seeded(ippanel) -> None:
    lines = await ippanel.sender_lines(fx.SANDBOX_KEY_SHORT)
    assert [(ln.number, ln.alias) for ln in lines.items] == [("+981000", "خط کوتاه")]


async def test_contact_number_filter_is_e164_only(ippanel) -> None:
    """The docs type the filter as E.164; the sandbox, like a strict panel, finds
    nothing for the national form or part of a number."""
    first = (await ippanel.contacts(SANDBOX_KEY, phonebook_id="120000", per_page=1)).items[0]
    national = "0" + first.number.removeprefix("+98")
    for typed in (first.number, national, first.number[:8], first.number.removeprefix("+")):
        page = await ippanel.contacts(SANDBOX_KEY, phonebook_id="120000", number=typed)
        found = [c.id for c in page.items]
        assert found == ([first.id] if typed == first.number else []), typed


async def test_contacts_without_phonebook_id_span_all_books(ippanel) -> None:
    """phonebook_id is optional in the docs: the list then covers every phonebook."""
    everyone = await ippanel.contacts(SANDBOX_KEY, per_page=30)
    assert everyone.total == 12 * 25
    assert {c.phonebook_id for c in everyone.items} == {"120000", "120001"}
    later = (await ippanel.contacts(SANDBOX_KEY, phonebook_id="120007", per_page=1)).items[0]
    found = await ippanel.contacts(SANDBOX_KEY, number=later.number)
    assert later.id in [c.id for c in found.items]


async def test_new_list_date_filters_must_be_strings(sandbox, ippanel) -> None:
    """report/outbox-report.md types create_from_date as a string ("1744102007")."""
    now = int(datetime.now(UTC).timestamp())
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        resp = await http.post(
            "/api/report/new_list",
            headers={"Authorization": SANDBOX_KEY},
            json={"filters": {"create_from_date": now}},
        )
    assert resp.status_code == 422
    assert "filters.create_from_date" in resp.json()["meta"]["errors"]
    # the client sends the documented type whatever it is given
    page = await ippanel.list_sends(SANDBOX_KEY, filters={"create_from_date": now - 60})
    assert page.items == []
    sent = sandbox.state.requests_to("/api/report/new_list")[-1].json
    assert sent["filters"] == {"create_from_date": str(now - 60)}


async def test_credit_shortfall_refused_or_accepted_then_failed(sandbox, ippanel) -> None:
    params = [{"type": "all", "phonebook_ids": ["120000"]}]
    sandbox.state.set_credit(SANDBOX_KEY, 100)
    with pytest.raises(InsufficientCreditError) as info:
        await ippanel.send_to_phonebooks(
            SANDBOX_KEY, sender=SANDBOX_SENDER, message="سلام", params=params
        )
    assert info.value.status == 422 and info.value.certainly_not_sent
    assert sandbox.state.sends == {}

    sandbox.state.set_credit(SANDBOX_KEY, 100, when_short="accept_then_fail")
    result = await ippanel.send_to_phonebooks(
        SANDBOX_KEY, sender=SANDBOX_SENDER, message="سلام", params=params
    )
    report = await ippanel.report(SANDBOX_KEY, outbox_id=result.outbox_ids[0])
    assert (report.state_id, report.status, report.exit_count) == (8, "اعتبار ناکافی", 0)
    assert report.cost > 100
    listed = await ippanel.list_sends(SANDBOX_KEY, filters={"state_id": 8})
    assert [r.messages_outbox_id for r in listed.items] == result.outbox_ids
    assert (await ippanel.credit(SANDBOX_KEY)).credit == 100  # nothing was charged


async def test_report_rows_carry_the_documented_fields(sandbox, ippanel) -> None:
    """report/by_bulk: state, status, state_id, rcpts_count, exit_count, cost, part,
    time_send; report/new_list rows: outbox id, line, text, time, time_send, recipient
    count, exit count, cost, state_id (reconciliation reads the count and the times)."""
    from bot.domain import PhonebookSelection, selections_to_params

    params = selections_to_params([PhonebookSelection("120000", "Book", 25)])
    sent = await ippanel.send_to_phonebooks(
        SANDBOX_KEY, sender=SANDBOX_SENDER, message="سلام", params=params
    )
    [outbox_id] = sent.outbox_ids
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        headers = {"Authorization": SANDBOX_KEY}
        one = await http.get(
            "/api/report/by_bulk", headers=headers, params={"messages_outbox_id": outbox_id}
        )
        listed = await http.post("/api/report/new_list", headers=headers, json={"page": 1})
    documented = {"state", "status", "state_id", "rcpts_count", "exit_count", "cost", "part"}
    assert documented | {"time_send"} <= set(one.json()["data"])
    [row] = listed.json()["data"]
    assert {"messages_outbox_id", "number", "message", "time", "time_send"} <= set(row)
    assert {"rcpts_count", "exit_count", "cost", "state_id"} <= set(row)
    assert not any("." in key for key in row)  # no stray attribute names
    [record] = (await ippanel.list_sends(SANDBOX_KEY)).items
    assert record.rcpts_count == 25 and record.messages_outbox_id == outbox_id
