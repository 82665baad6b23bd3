"""Reliability (issue #7, part 3): IPPanel faults at every call the flow makes.

Read-only calls (sender lines, phonebooks, price, credit, key check) fail with a Persian
message, the draft kept and the bot still answering; the send follows the money rules:
certainly-not-sent is ``failed``, anything the provider may have taken is ``unknown`` and
is never sent again by itself.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.domain import BroadcastState, Step
from bot.texts import FA
from tests.fakes.telegram_api import FakeUser
from tests.harness import (
    World,
    bot_world,
    compose_to_review,
    count_rows,
    fa_prefix,
    restart,
    set_key,
    start_all,
    submit_request,
    until_text,
    world_settings,
)

NUMBERS = "/api/number/numbers"
BOOKS = "/api/phonebooks/list-new"
PRICE = "/api/send/calculate-price"
CHECK = "/api/acl/auth/check_token"
CREDIT = "/api/payment/credit/mine"
SEND = "/api/send"

# what the admin reads for a failed read-only call during the conversation
COMPOSE_TEXT = {
    "401": fa_prefix("key_expired"),
    "404": FA["pw_phonebook_missing"],  # the documented 404 text, in plain words
    "422": "IPPanel «متن پیام» را نپذیرفت",
    "500": FA["pw_server"],
    "not_json": FA["pw_bad_answer"],
    "hang": fa_prefix("provider_timeout"),
    "drop": fa_prefix("provider_timeout"),
}
TRANSPORT = ("hang", "drop")  # read-only calls are retried once on these: fail both tries
PRICE_UNKNOWN = fa_prefix("text_price_unknown")
DRAFT_SAFE = "پیش‌نویس محفوظ است"


async def answers_help(w: World, user: FakeUser) -> None:
    last = user.messages()[-1].message_id if user.messages() else 0
    await user.send("/help")
    await until_text(w, user, "نقش شما", after=last)


def newest(user: FakeUser) -> int:
    return user.messages()[-1].message_id if user.messages() else 0


@pytest.mark.parametrize("mode", list(COMPOSE_TEXT))
async def test_read_calls_fail_politely_and_keep_the_draft(tmp_path: Path, mode: str) -> None:
    async with bot_world(tmp_path, ippanel_read_timeout=0.5) as w:
        alice = w.admin(0)
        await set_key(w, alice)

        def fault(path: str, mode: str) -> None:
            w.sandbox.state.fail_next(path, mode, times=2 if mode in TRANSPORT else 1, delay=5)

        # 1. the sender list
        fault(NUMBERS, mode)
        mark = newest(alice)
        await alice.send("/send")
        told = await until_text(w, alice, COMPOSE_TEXT[mode], after=mark)
        if mode == "422":
            assert "تکمیل گزینه پیام الزامی است" in told.text  # the field error, in Persian
        [draft] = await w.store.list_drafts(alice.user_id)
        await answers_help(w, alice)

        # 2. the phonebook page, right after choosing the sender
        await alice.send("/send")
        offer = await until_text(w, alice, "پیش‌نویس نیمه‌کاره")
        await alice.press(offer, "ادامهٔ پیش‌نویس")
        menu = await until_text(w, alice, "خط ارسال", after=offer.message_id - 1)
        fault(BOOKS, mode)
        mark = newest(alice)
        await alice.press(menu, menu.buttons[0][0][0], exact=True)
        await until_text(w, alice, COMPOSE_TEXT[mode], after=mark)
        kept = await w.store.get_draft(draft.id)
        assert kept is not None and kept.sender and kept.step == Step.PHONEBOOKS
        await answers_help(w, alice)

        # 3. the price estimate under the text preview: only the estimate is missing
        await w.store.save_draft(kept)  # unchanged; still loads and saves
        await alice.send("/send")
        offer = await until_text(w, alice, "پیش‌نویس نیمه‌کاره", after=mark)
        await alice.press(offer, "ادامهٔ پیش‌نویس")
        books = await until_text(w, alice, "دفترچه‌های تلفن", after=offer.message_id - 1)
        await alice.press(books, books.buttons[0][0][0], exact=True)
        await w.until(lambda: "✓" in alice.last().buttons[0][0][0])
        await alice.press(alice.last(), "ادامه: متن پیام ◀️", exact=True)
        await until_text(w, alice, "متن پیام")
        fault(PRICE, mode)
        typed = await alice.send("متن آزمایشی")
        # a refused key says how to fix it; any other fault only hides the estimate
        expected = fa_prefix("key_expired") if mode == "401" else PRICE_UNKNOWN
        preview = await until_text(w, alice, expected, after=typed)
        assert "پیش‌نمایش پیامک" in preview.text and "متن آزمایشی" in preview.text
        kept = await w.store.get_draft(draft.id)
        assert kept.text == "متن آزمایشی" and kept.selections
        await answers_help(w, alice)
        assert w.sends == 0


@pytest.mark.parametrize(
    ("mode", "expected"),
    ids=lambda v: v if v.isascii() else "",
    argvalues=[
        ("401", "پذیرفته نشد"),
        ("422", "پذیرفته نشد"),
        ("404", "پذیرفته نشد|دسترسی ندارم"),
        ("500", "دسترسی ندارم"),
        ("not_json", "دسترسی ندارم"),
        ("hang", "دسترسی ندارم"),
        ("drop", "دسترسی ندارم"),
    ],
)
async def test_key_check_and_credit_faults(tmp_path: Path, mode: str, expected: str) -> None:
    async with bot_world(tmp_path, ippanel_read_timeout=0.5) as w:
        alice = w.admin(0)
        times = 2 if mode in TRANSPORT else 1
        w.sandbox.state.fail_next(CHECK, mode, times=times, delay=5)
        await alice.send("/token")
        await alice.reply()
        await alice.send("sandbox-key")
        await w.fake.wait_until(
            lambda: any(e in alice.last().text for e in expected.split("|")), timeout=8
        )
        assert "کلید ذخیره نشد" in alice.last().text
        assert await w.store.get_key_info(alice.user_id) is None
        await answers_help(w, alice)
        await set_key(w, alice)  # the next try works
        w.sandbox.state.fail_next(CREDIT, mode, times=times, delay=5)
        mark = newest(alice)
        await alice.send("/credit")
        await w.until(lambda: newest(alice) > mark)
        told = alice.last().text
        assert "IPPanel" in told or fa_prefix("key_expired_plain") in told, told
        assert "اعتبار حساب:" not in told
        assert DRAFT_SAFE not in told  # /credit has no draft to speak of
        await answers_help(w, alice)
        assert w.sends == 0


async def test_connection_refused_everywhere(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/v1"  # bound, never listening
        async with bot_world(tmp_path) as w:
            alice, bob = w.admin(0), w.admin(1)
            await start_all(w, bob)
            await set_key(w, alice)
            review = await compose_to_review(w, alice)
            await alice.press(review, "ارسال برای تأیید")
            card = await until_text(w, bob, "درخواست ارسال")
            [draft] = await w.store.list_drafts(alice.user_id)
            # the panel goes away
            w.settings = world_settings(
                w.fake, w.sandbox, w.data_dir, w.secret, ippanel_base_url=closed
            )
            await restart(w)
            mark = newest(alice)
            # a submitted draft is no longer the open one: it is reopened from /drafts
            await alice.send("/drafts")
            listing = await until_text(w, alice, "پیش‌نویس‌های شما", after=mark)
            await alice.press(listing, "▶️")
            await until_text(w, alice, "بازبینی", after=listing.message_id - 1)  # no price
            await alice.send("/credit")
            await until_text(w, alice, fa_prefix("provider_timeout_plain"))  # no draft talk
            await bob.press(card, "تأیید و ارسال")
            failed = await until_text(w, bob, "وصل نشدم")
            assert "هیچ پیامکی نرفته" in failed.text
            await until_text(w, alice, "وصل نشدم")
            [b] = await w.store.list_broadcasts(alice.user_id)
            assert b.state == BroadcastState.FAILED
            assert await w.store.get_draft(draft.id) is not None
            await answers_help(w, alice)
            assert w.sends == 0


SEND_CASES = [
    # mode, broadcast state, what the admins read, POSTs
    ("500", BroadcastState.UNKNOWN, fa_prefix("send_unknown"), 1),
    ("not_json", BroadcastState.UNKNOWN, fa_prefix("send_unknown"), 1),
    ("hang", BroadcastState.UNKNOWN, fa_prefix("send_unknown"), 1),
    ("drop", BroadcastState.UNKNOWN, fa_prefix("send_unknown"), 1),
    ("accept_then_hang", BroadcastState.UNKNOWN, fa_prefix("send_unknown"), 1),
    ("accept_then_drop", BroadcastState.UNKNOWN, fa_prefix("send_unknown"), 1),
    ("401", BroadcastState.FAILED, "کلید API درخواست‌کننده", 1),
    ("422", BroadcastState.FAILED, "IPPanel «متن پیام» را نپذیرفت", 1),
]


@pytest.mark.parametrize(
    ("mode", "state", "told", "posts"), SEND_CASES, ids=[c[0] for c in SEND_CASES]
)
async def test_send_faults_follow_the_money_rules(
    tmp_path: Path, mode: str, state: BroadcastState, told: str, posts: int
) -> None:
    async with bot_world(tmp_path, ippanel_read_timeout=0.7) as w:
        alice, bob = w.admin(0), w.admin(1)
        request, cards = await submit_request(w, alice, (bob,))
        w.sandbox.state.fail_next(SEND, mode, delay=10)
        await bob.press(cards[bob.user_id], "تأیید و ارسال")
        await until_text(w, alice, told, timeout=10)
        await until_text(w, bob, told, timeout=10)
        await w.settle()
        b = await w.store.get_broadcast_for_request(request.id)
        assert b.state == state, b
        assert w.sends == posts
        assert count_rows(w, "broadcasts") == 1
        # pressing approve again, or restarting, never sends a second time
        query = await bob.press_data(cards[bob.user_id].message_id, f"ap:{request.id}")
        assert fa_prefix("decision_already") in (await bob.answer_of(query)).text
        await restart(w)
        await answers_help(w, alice)
        await w.settle()
        assert w.sends == posts
        assert (await w.store.get_broadcast(b.id)).state == state
        if state == BroadcastState.FAILED:  # certainly not sent: the draft stays to be fixed
            assert await w.store.list_drafts(alice.user_id)
