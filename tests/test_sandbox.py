"""The fake IPPanel panel itself: seeding, credit, cancel window, controls, scale."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.ippanel import AuthError, InsufficientCreditError, NotCancellableError, ValidationError
from bot.sandbox import SandboxState
from bot.sandbox.seed import PRICE_PER_PART_MCI, PRICE_PER_PART_OTHER
from tests import sandbox_fixtures as fx
from tests.sandbox_fixtures import (
    SANDBOX_KEY,
    SANDBOX_KEY_3,
    SANDBOX_KEY_BLOCKED,
    SANDBOX_SENDER,
    running_sandbox,
    sandbox_client,
)

REPO_ROOT = Path(__file__).resolve().parents[1]

sandbox = fx.sandbox
ippanel = fx.ippanel


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


async def test_http_fault_controls(sandbox) -> None:
    root = sandbox.root_url
    headers = {"Authorization": SANDBOX_KEY}
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            f"{root}/__sandbox/faults", json={"path": "/api/payment/credit/mine", "mode": "500"}
        )
        assert resp.json()["ok"] is True
        first = await http.get(f"{sandbox.base_url}/api/payment/credit/mine", headers=headers)
        assert first.status_code == 500
        second = await http.get(f"{sandbox.base_url}/api/payment/credit/mine", headers=headers)
        assert second.status_code == 200
        bad = await http.post(f"{root}/__sandbox/faults", json={"path": "/x", "mode": "nope"})
        assert bad.status_code == 400
        await http.post(
            f"{root}/__sandbox/faults",
            json={"path": "/api/number/numbers", "mode": "not_json", "status": 500, "times": 2},
        )
        for _ in range(2):
            resp = await http.get(f"{sandbox.base_url}/api/number/numbers", headers=headers)
            assert resp.status_code == 500 and resp.headers["content-type"].startswith("text/html")
        await http.post(
            f"{sandbox.base_url}/api/send",
            headers=headers,
            json={"sending_type": "phonebook", "message": ""},
        )
        log = (await http.get(f"{root}/__sandbox/requests")).json()
        assert log["send_posts"] == 1
        assert [r["path"] for r in log["requests"]][:2] == [
            "/v1/api/payment/credit/mine",
            "/v1/api/payment/credit/mine",
        ]
        assert log["requests"][0]["authorization"] == SANDBOX_KEY
        await http.post(f"{root}/__sandbox/credit", json={"key": SANDBOX_KEY, "credit": 5})
        assert sandbox.state.accounts[SANDBOX_KEY].credit == 5
        await http.post(f"{root}/__sandbox/faults", json={"path": "/api/send", "mode": "401"})
        assert (await http.post(f"{root}/__sandbox/reset")).json() == {"ok": True}
        log = (await http.get(f"{root}/__sandbox/requests")).json()
        assert log == {"requests": [], "send_posts": 0}
        assert sandbox.state.faults == [] and sandbox.state.accounts[SANDBOX_KEY].credit > 5
        assert (await http.get(f"{root}/__sandbox/sends")).json() == {"sends": []}


async def test_python_fault_switch_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError):
        SandboxState().fail_next("/api/send", "explode")


async def test_hang_is_released_on_stop() -> None:
    async with running_sandbox() as running:
        running.state.fail_next("/api/send", "hang", delay=60)
        async with sandbox_client(running, read_timeout=30) as client:
            task = asyncio.create_task(
                client.send_to_phonebooks(
                    SANDBOX_KEY,
                    sender=SANDBOX_SENDER,
                    message="x",
                    params=[{"type": "all", "phonebook_ids": ["120000"]}],
                )
            )
            for _ in range(500):
                if running.state.send_post_count:
                    break
                await asyncio.sleep(0.01)
            await asyncio.wait_for(running.stop(), timeout=5)
            with pytest.raises(Exception):  # noqa: B017 - the sandbox went away mid-request
                await asyncio.wait_for(task, timeout=5)


async def test_large_sandbox_pages_quickly() -> None:
    async with running_sandbox(phonebooks=10_000, contacts_per_book=10) as running:
        assert sum(p.count for p in running.state.phonebooks.values()) == 100_000
        async with sandbox_client(running) as client:
            page = await client.phonebooks(SANDBOX_KEY, page=500, per_page=20)
            assert page.total == 10_000 and page.last_page == 500 and len(page.items) == 20
            assert page.items[-1].id == "129999"
            found = await client.phonebooks(SANDBOX_KEY, title="همکاران 834", per_page=10)
            assert [b.title for b in found.items] == ["همکاران 834"]
            contacts = await client.contacts(SANDBOX_KEY, phonebook_id="129999", per_page=1000)
            assert contacts.total == 10 and len({c.id for c in contacts.items}) == 10
            target = contacts.items[7]
            hit = await client.contacts(SANDBOX_KEY, phonebook_id="129999", number=target.number)
            assert target.id in [c.id for c in hit.items]
            # a send to every book still answers (recipients counted without a big list)
            result = await client.send_to_phonebooks(
                SANDBOX_KEY,
                sender=SANDBOX_SENDER,
                message="hi",
                params=[{"type": "all", "phonebook_ids": [str(120000 + i) for i in range(100)]}],
            )
            report = await client.report(SANDBOX_KEY, outbox_id=result.outbox_ids[0])
            assert report.rcpts_count == 1000


async def test_unknown_key_is_401(ippanel) -> None:
    with pytest.raises(AuthError):
        await ippanel.credit("sandbox-key-nope")


def test_cli_arguments() -> None:
    from bot.sandbox.__main__ import parse_args

    args = parse_args(["--port", "0", "--phonebooks", "3", "--contacts-per-book", "4"])
    assert (args.port, args.phonebooks, args.contacts_per_book, args.host) == (0, 3, 4, "127.0.0.1")


async def test_cli_serves_and_prints() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox",
        "--port",
        "0",
        "--phonebooks",
        "3",
        "--quiet",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=REPO_ROOT,
    )
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=10)).decode()
        base_url = line.strip().split("=", 1)[1]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        keys = (await asyncio.wait_for(proc.stdout.readline(), timeout=5)).decode()
        assert "sandbox-key" in keys
        async with sandbox_client(base_url) as client:
            page = await client.phonebooks(SANDBOX_KEY)
            assert page.total == 3
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=10)


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
