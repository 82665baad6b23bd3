"""The fake IPPanel panel itself: seeding, credit, send validation, cancel window, accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.ippanel import AuthError, NotCancellableError, ValidationError
from sandbox import SandboxState
from sandbox.seed import PRICE_PER_PART_MCI, PRICE_PER_PART_OTHER
from tests.sandbox_fixtures import SANDBOX_KEY, SANDBOX_KEY_3, SANDBOX_KEY_BLOCKED, SANDBOX_SENDER


def test_seeding_is_deterministic() -> None:
    a, b, c = SandboxState(seed=7), SandboxState(seed=7), SandboxState(seed=8)
    book_a = a.phonebooks["120003"]
    same = [a.contact(book_a, i) for i in range(25)]
    assert same == [b.contact(b.phonebooks["120003"], i) for i in range(25)]
    assert same != [c.contact(c.phonebooks["120003"], i) for i in range(25)]
    assert len({x["id"] for x in same}) == 25
    for contact in same:
        assert contact["number"].startswith("+989") and len(contact["number"]) == 13
        assert contact["name"] and " " in contact["name"]
    assert set(a.accounts) >= {"sandbox-key", "sandbox-key-2", "sandbox-key-3"}
    assert len({acc.name for acc in a.accounts.values()}) == len(a.accounts)
    assert a.accounts[SANDBOX_KEY_BLOCKED].send_block is True
    titles = [p.title for p in a.phonebooks.values()]
    assert titles[:3] == ["مشتریان تهران", "همکاران", "نمایندگان فروش"]


def test_many_phonebooks_get_numbered_titles() -> None:
    state = SandboxState(phonebooks=30)
    titles = [p.title for p in state.phonebooks.values()]
    assert len(set(titles)) == 30
    assert "مشتریان تهران 1" in titles and "مشتریان تهران 2" in titles


async def test_credit_consumption_matches_price(ippanel, sandbox) -> None:
    message = "س" * 80  # two UCS-2 parts
    price = await ippanel.calculate_price(SANDBOX_KEY, sender=SANDBOX_SENDER, message=message)
    assert price.parts == 2
    assert price.mci_price == 2 * PRICE_PER_PART_MCI
    assert price.other_price == 2 * PRICE_PER_PART_OTHER
    before = (await ippanel.credit(SANDBOX_KEY)).credit
    result = await ippanel.send_to_phonebooks(
        SANDBOX_KEY,
        sender=SANDBOX_SENDER,
        message=message,
        params=[{"type": "all", "phonebook_ids": ["120000", "120001"]}],
    )
    stored = sandbox.state.sends[result.outbox_ids[0]]
    assert stored.recipients == 50 and stored.mci + stored.other == 50
    assert stored.cost == stored.mci * price.mci_price + stored.other * price.other_price
    assert (await ippanel.credit(SANDBOX_KEY)).credit == before - stored.cost


async def test_short_credit_and_blocked_account(ippanel, sandbox) -> None:
    sandbox.state.set_credit(SANDBOX_KEY, 1000)
    with pytest.raises(ValidationError) as info:
        await ippanel.send_to_phonebooks(
            SANDBOX_KEY,
            sender=SANDBOX_SENDER,
            message="hello",
            params=[{"type": "all", "phonebook_ids": ["120000"]}],
        )
    assert "credit" in info.value.errors and info.value.certainly_not_sent
    assert sandbox.state.sends == {}
    assert (await ippanel.credit(SANDBOX_KEY)).credit == 1000
    with pytest.raises(ValidationError):
        await ippanel.send_to_phonebooks(
            SANDBOX_KEY_BLOCKED,
            sender=SANDBOX_SENDER,
            message="hello",
            params=[{"type": "all", "phonebook_ids": ["120000"]}],
        )
    assert (await ippanel.check_credential(SANDBOX_KEY_BLOCKED)).send_block is True


async def test_send_validation_shapes(sandbox) -> None:
    url = sandbox.base_url + "/api/send"
    headers = {"Authorization": SANDBOX_KEY}
    good = {
        "sending_type": "phonebook",
        "from_number": SANDBOX_SENDER,
        "message": "سلام",
        "params": [{"type": "all", "phonebook_ids": ["120000"]}],
    }
    async with httpx.AsyncClient() as http:
        empty = await http.post(url, headers=headers, json={**good, "message": ""})
        assert empty.status_code == 422
        meta = empty.json()["meta"]
        assert meta["message_code"] == "400-2" and meta["status"] is False
        assert meta["errors"] == {"message": ["تکمیل گزینه پیام الزامی است"]}
        past = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
        resp = await http.post(url, headers=headers, json={**good, "send_time": past})
        assert resp.status_code == 422 and "send_time" in resp.json()["meta"]["errors"]
        too_many = {**good, "params": good["params"] * 101}
        resp = await http.post(url, headers=headers, json=too_many)
        assert resp.status_code == 422 and "params" in resp.json()["meta"]["errors"]
        missing = {**good, "params": [{"type": "all", "phonebook_ids": ["1"]}]}
        resp = await http.post(url, headers=headers, json=missing)
        assert resp.status_code == 404
        assert resp.json()["meta"] == {
            "status": False,
            "message": "دفترچه تلفن یافت نشد",
            "message_parameters": [],
            "message_code": "404-1",
            "errors": {},
        }
        resp = await http.post(url, headers={"Authorization": "nope"}, json=good)
        assert resp.status_code == 401
        assert resp.json()["meta"]["message"] == "اطلاعات وارد شده صحیح نمی باشد"
        ok = await http.post(url, headers=headers, json=good)
        assert ok.status_code == 200
        body = ok.json()
        assert body["meta"]["status"] is True and body["meta"]["message_code"] == "200-1"
        assert isinstance(body["data"]["message_outbox_ids"][0], int)
        # phonebooks list answers POST as well as GET (older docs say POST)
        resp = await http.post(
            sandbox.base_url + "/api/phonebooks/list-new",
            headers=headers,
            json={"page": 2, "per_page": 5},
        )
        assert resp.json()["meta"]["current_page"] == 2 and len(resp.json()["data"]) == 5
    assert sandbox.state.send_post_count == 6
    assert len(sandbox.state.sends) == 1


async def test_cancel_window(ippanel, sandbox) -> None:
    async def schedule(minutes: float) -> int:
        result = await ippanel.send_to_phonebooks(
            SANDBOX_KEY,
            sender=SANDBOX_SENDER,
            message="یادآوری",
            params=[{"type": "all", "phonebook_ids": ["120000"]}],
            send_at=datetime.now(UTC) + timedelta(minutes=minutes),
        )
        return result.outbox_ids[0]

    too_late = await schedule(4)
    with pytest.raises(NotCancellableError) as info:
        await ippanel.cancel(SANDBOX_KEY, outbox_id=too_late)
    assert info.value.message == "پیام یافت نشد یا قابل لغو نیست"
    later = await schedule(8)
    sandbox.state.advance(4 * 60)  # now less than 5 minutes remain
    with pytest.raises(NotCancellableError):
        await ippanel.cancel(SANDBOX_KEY, outbox_id=later)
    roomy = await schedule(30)
    assert await ippanel.cancel(SANDBOX_KEY, outbox_id=roomy)
    immediate = await ippanel.send_to_phonebooks(
        SANDBOX_KEY,
        sender=SANDBOX_SENDER,
        message="فوری",
        params=[{"type": "all", "phonebook_ids": ["120000"]}],
    )
    with pytest.raises(NotCancellableError):  # not scheduled
        await ippanel.cancel(SANDBOX_KEY, outbox_id=immediate.outbox_ids[0])
    sandbox.state.advance(3600)  # the scheduled ones have gone out by now
    assert (await ippanel.report(SANDBOX_KEY, outbox_id=later)).state_id == 6
    assert (await ippanel.report(SANDBOX_KEY, outbox_id=roomy)).state_id == 7


async def test_accounts_are_isolated(ippanel, sandbox) -> None:
    result = await ippanel.send_to_phonebooks(
        SANDBOX_KEY,
        sender=SANDBOX_SENDER,
        message="hello",
        params=[{"type": "all", "phonebook_ids": ["120000"]}],
    )
    from bot.ippanel import NotFoundError

    with pytest.raises(NotFoundError):
        await ippanel.report(SANDBOX_KEY_3, outbox_id=result.outbox_ids[0])
    lines = await ippanel.sender_lines(SANDBOX_KEY_3)
    assert [ln.number for ln in lines.items] == ["+9890005050"]


async def test_unknown_key_is_401(ippanel) -> None:
    with pytest.raises(AuthError):
        await ippanel.credit("sandbox-key-nope")
