"""A test SMS to one's own phone, end to end: the number registered only from a shared own
contact, the review card's priced test button, the exact final text as a webservice send to
that one number, the limit per draft and text kept by the store, /phone and /history."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.domain import BroadcastState, TrialSend
from bot.ippanel import ValidationError
from bot.ippanel.bodies import build_webservice_body
from bot.phones import mask_phone
from bot.render import num
from handlers.gate import valid_press
from sandbox.seed import PRICE_PER_PART_MCI, PRICE_PER_PART_OTHER
from tests.fakes import FakeTelegram
from tests.fakes.telegram_api import DEFAULT_GROUP_CHAT_ID, BotMessage, FakeUser
from tests.harness import (
    KEY_OF,
    World,
    bot_world,
    compose_to_review,
    count_rows,
    fa_prefix,
    restart,
    set_key,
    until_text,
)
from tests.sandbox_fixtures import (
    SANDBOX_KEY,
    SANDBOX_SENDER,
    running_sandbox,
    sandbox_client,
)

SUFFIX = "لغو11"
TEST = "آزمایش روی گوشی من"
SENT = "پیامک آزمایشی فرستاده شد"
LIMIT = fa_prefix("trial_limit")
APPROVER_ONLY = fa_prefix("approver_only")


def left(n: int) -> str:
    return f"{num(n, 'fa')} از {num(3, 'fa')}"


def own_e164(user: FakeUser) -> str:
    return "+" + user.phone_number


async def register(w: World, user: FakeUser) -> BotMessage:
    await user.send("/phone")
    ask = await until_text(w, user, "فرستادن شمارهٔ من")
    assert "شمارهٔ تایپ‌شده پذیرفته نمی‌شود" in ask.text
    await user.share_phone()
    return await until_text(w, user, "برای پیامک آزمایشی ثبت شد")


def shift(w: World, seconds: int) -> None:
    """Stamp the store's rows ``seconds`` ahead of now: past the panel's 40 s duplicate
    window (an identical test within it is refused before any POST)."""
    w.store._clock = lambda: datetime.now(UTC) + timedelta(seconds=seconds)


async def press_test(w: World, user: FakeUser, card: BotMessage, needle: str = SENT) -> BotMessage:
    last = user.messages()[-1].message_id
    await user.press(card, TEST)
    return await until_text(w, user, needle, after=last)


async def test_own_number_gets_the_exact_final_text_three_times_per_text(tmp_path: Path) -> None:
    async with bot_world(tmp_path, message_suffix=SUFFIX) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        saved = await register(w, alice)
        phone = own_e164(alice)
        assert phone in saved.text
        assert saved.reply_markup == {"remove_keyboard": True}  # the keyboard is taken away
        assert w.fake.reply_keyboard(alice.user_id) is None
        assert await w.store.get_trial_phone(alice.user_id) == phone

        card = await compose_to_review(w, alice, text="سلام، تخفیف ویژهٔ امروز")
        # the price of the one message is on the button, before any tap
        price = num(max(PRICE_PER_PART_MCI, PRICE_PER_PART_OTHER), "fa")
        button = next(b for b in card.button_texts if TEST in b)
        assert price in button and "ریال" in button
        assert w.sends == 0

        result = await press_test(w, alice, card)
        assert result.reply_to_message_id == card.message_id  # under the card
        assert w.sends == 1
        post = w.sandbox.state.send_posts[-1]
        line = (await w.store.get_draft((await w.store.list_drafts(alice.user_id))[0].id)).sender
        assert post.json == {
            "sending_type": "webservice",
            "from_number": line,
            "message": f"سلام، تخفیف ویژهٔ امروز\n{SUFFIX}",
            "params": {"recipients": [phone]},
        }
        assert post.authorization == KEY_OF[alice.user_id]
        outbox = max(w.sandbox.state.sends)
        assert str(outbox) in result.text and phone in result.text
        assert left(2) in result.text

        shift(w, 41)
        await press_test(w, alice, card)
        assert w.sends == 2
        # a restart between taps changes nothing: the count is in the database
        await restart(w)
        await w.fake.wait_until(lambda: w.fake.polling)
        shift(w, 82)
        # a double tap at 2 of 3: one goes out, the other is refused
        last = alice.messages()[-1].message_id
        first = await alice.press(card, TEST)
        second = await alice.press(card, TEST)
        await until_text(w, alice, SENT, after=last)
        refused = await alice.answer_of(second)
        assert refused.show_alert and LIMIT in refused.text
        assert (await alice.answer_of(first)).text is not None
        await w.settle()
        assert w.sends == 3
        assert count_rows(w, "trial_sends") == 3

        # a 4th tap is refused before any POST
        query = await alice.press(card, TEST)
        answer = await alice.answer_of(query)
        assert answer.show_alert and LIMIT in answer.text
        await w.settle()
        assert w.sends == 3

        # a new version of the text starts a new count
        await alice.press(card, "✏️ متن", exact=True)
        await until_text(w, alice, "پیش‌نمایش پیامک")
        await alice.send("متن تازه برای آزمایش")
        preview = await until_text(w, alice, "متن تازه برای آزمایش")
        await alice.press(preview, "بازبینی")
        card = await until_text(w, alice, "بازبینی")
        await press_test(w, alice, card)
        assert w.sends == 4
        assert w.sandbox.state.send_posts[-1].json["message"] == f"متن تازه برای آزمایش\n{SUFFIX}"


async def test_only_a_shared_own_contact_registers_a_number(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await alice.send("/phone")
        await until_text(w, alice, "فرستادن شمارهٔ من")
        keyboard = w.fake.reply_keyboard(alice.user_id)
        assert keyboard is not None and keyboard.get("one_time_keyboard") is True
        assert {"text": "📱 فرستادن شمارهٔ من", "request_contact": True} in keyboard["keyboard"][0]

        # someone else's contact (another Telegram user), and a phone-book entry (no user_id)
        await alice.send_contact(own_e164(bob), user_id=bob.user_id)
        refused = await until_text(w, alice, "شمارهٔ خود شما نیست")
        await alice.send_contact("+989351112233", user_id=None)
        refused = await until_text(w, alice, "شمارهٔ خود شما نیست", after=refused.message_id)
        # a forwarded message, even one holding one's own contact, is not the button's share;
        # it is told as forwarded (share it, don't forward it), not as someone else's number
        await alice.send_contact(alice.phone_number, forward_from=bob.user_id)
        forwarded = await until_text(w, alice, "بازارسال", after=refused.message_id)
        assert "مخاطب بازارسال‌شده پذیرفته نمی‌شود" in forwarded.text
        assert "بازارسال نکنید" in forwarded.text and "شمارهٔ خود شما نیست" not in forwarded.text
        # a typed number, in any form
        for typed in ("09121234567", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "+98 912 123 4567"):
            before = alice.messages()[-1].message_id
            await alice.send(typed)
            told = await until_text(w, alice, "شمارهٔ تایپ‌شده پذیرفته نمی‌شود", after=before)
            assert w.fake.reply_keyboard(alice.user_id) is not None  # still offered
        del told
        # one's own contact with a number no test SMS can go to
        await alice.send_contact("+14155550100")
        await until_text(w, alice, "فقط شمارهٔ همراه ایران")
        assert await w.store.get_trial_phone(alice.user_id) is None
        actions = [e.action for e in await w.store.list_audit(actor_id=alice.user_id)]
        assert actions.count("test_phone_refused") == 4

        # the keyboard's cancel button takes it away
        await alice.send("/phone")
        await until_text(w, alice, "فرستادن شمارهٔ من", after=alice.messages()[-1].message_id)
        await alice.press_reply_button("❌ انصراف از ثبت شماره")
        await until_text(w, alice, "ثبت شماره لغو شد")
        assert w.fake.reply_keyboard(alice.user_id) is None
        # no wait any more: a typed number is just text, not a registration
        await alice.send("09121234567")
        await until_text(w, alice, fa_prefix("outside_hint"))
        assert await w.store.get_trial_phone(alice.user_id) is None


async def test_refused_unknown_history_and_forgetting(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await register(w, alice)
        card = await compose_to_review(w, alice)

        # 422: certainly not sent, shown, not counted
        w.sandbox.state.fail_next("/api/send", "422")
        failed = await press_test(w, alice, card, "پیامک آزمایشی فرستاده نشد")
        assert "تکمیل گزینه پیام الزامی است" in failed.text and "شمرده نشد" in failed.text
        # 500: may have gone out, shown as unknown, counted, not retried
        w.sandbox.state.fail_next("/api/send", "500")
        unknown = await press_test(w, alice, card, "نتیجهٔ پیامک آزمایشی نامعلوم است")
        assert left(2) in unknown.text
        await w.settle()
        assert w.sends == 2
        shift(w, 41)
        await press_test(w, alice, card)
        shift(w, 82)
        await press_test(w, alice, card)
        assert w.sends == 4
        query = await alice.press(card, TEST)
        assert LIMIT in (await alice.answer_of(query)).text
        await w.settle()
        assert w.sends == 4

        states = [t.state for t in await w.store.list_trials(alice.user_id)]
        assert states == ["sent", "sent", "unknown", "failed"]
        audit = [e for e in await w.store.list_audit() if e.action == "test_send"]
        assert [e.detail["state"] for e in audit] == ["sent", "sent", "unknown", "failed"]
        assert all(e.detail["test"] is True for e in audit)
        phone = own_e164(alice)
        assert all(e.detail["to"] == mask_phone(phone) for e in audit)
        assert phone not in str([e.detail for e in await w.store.list_audit()])

        await alice.send("/history")
        history = await until_text(w, alice, "پیامک‌های آزمایشی")
        assert history.text.count("🧪 آزمایشی") == 4
        assert "نامعلوم" in history.text and "ارسال‌نشده" in history.text

        await alice.send("/phone")
        shown = await until_text(w, alice, "شمارهٔ ثبت‌شده برای پیامک آزمایشی")
        assert phone in shown.text
        await alice.press(shown, "فراموش کن")
        await until_text(w, alice, "شمارهٔ شما فراموش شد")
        assert await w.store.get_trial_phone(alice.user_id) is None
        # without a number the test button asks for one and sends nothing
        last = alice.messages()[-1].message_id
        await alice.press(card, TEST)
        await until_text(w, alice, "هنوز شماره‌ای ثبت نکرده‌اید", after=last)
        assert w.fake.reply_keyboard(alice.user_id) is not None
        await w.settle()
        assert w.sends == 4


async def test_an_approver_only_user_can_neither_register_nor_test(tmp_path: Path) -> None:
    async with bot_world(tmp_path, admin_ids="1001", approver_ids="1002") as w:
        alice, bob = w.admin(0), w.admin(1)
        await set_key(w, alice)
        await register(w, alice)
        card = await compose_to_review(w, alice)

        await bob.send("/phone")
        assert APPROVER_ONLY in (await bob.reply()).text
        await bob.send_contact(own_e164(bob))
        assert APPROVER_ONLY in (await bob.reply()).text
        assert await w.store.get_trial_phone(bob.user_id) is None
        # a forged press of the test button in bob's chat
        await bob.send("/help")
        help_message = await until_text(w, bob, "نقش شما")
        query = await bob.press_data(help_message.message_id, "v:t")
        answer = await bob.answer_of(query)
        assert answer.show_alert and APPROVER_ONLY in answer.text
        await w.settle()
        assert w.sends == 0
        assert card.message_id  # alice's card is untouched


async def test_the_store_counts_before_it_inserts_so_concurrent_taps_stop_at_three(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        store = w.store

        async def reserve(draft_id: int = 7, text: str = "h", cap: int = 10):
            return await store.reserve_trial(
                owner_id=1001,
                draft_id=draft_id,
                draft_version=3,
                content_hash=text,
                sender="+983000505",
                recipient="+989120001001",
                message="x",
                limit=3,
                daily_cap=cap,
            )

        async def burst(**kw) -> list:
            """Eight taps at once: the one rule check and insert is a single statement."""
            rows = await asyncio.gather(*(reserve(**kw) for _ in range(8)))
            return [r for r in rows if isinstance(r, TrialSend)]

        # while one is in flight, no other tap gets a row (nothing would be posted)
        (first,) = await burst()
        assert (await reserve()).kind == "in_flight"
        # a certain failure gives its place back; an unknown one keeps it
        await store.finish_trial(first.id, "failed", error="422")
        (second,) = await burst()
        await store.finish_trial(second.id, "unknown", error="500")
        assert await store.count_trials(1001, "h") == 1
        # within 40 s of an identical one that may have gone out: refused, with the wait
        block = await reserve()
        assert block.kind == "duplicate" and 38 <= block.wait <= 40
        shift(w, 41)
        # a copied draft (another draft id, the same line and text) shares the count
        (third,) = await burst(draft_id=8)
        await store.finish_trial(third.id, "sent", outbox_ids=[1])
        shift(w, 82)
        (fourth,) = await burst(draft_id=9)
        assert await store.count_trials(1001, "h") == 3
        assert await store.finish_trial(second.id, "sent") is None  # finished once only

        # a row left "sending" by a stop mid-POST is unknown after the restart, and counted
        await restart(w)
        shift(w, 123)
        store = w.store
        settled = await store.list_trials(1001, limit=10)
        assert {t.id: t.state for t in settled}[fourth.id] == "unknown"
        assert await store.count_trials(1001, "h") == 3
        assert await burst() == [] and (await reserve(draft_id=10)).kind == "limit"
        # other texts count against the person's cap for 24 hours (3 so far, unknown too)
        assert await store.count_today(1001) == 3
        for n in range(2):
            (row,) = await burst(text=f"t{n}", cap=5)
            await store.finish_trial(row.id, "sent", outbox_ids=[10 + n])
        assert await burst(text="t9", cap=5) == []
        assert (await reserve(text="t9", cap=5)).kind == "daily_cap"
        w.store._clock = lambda: datetime.now(UTC) + timedelta(hours=25)
        assert isinstance(await reserve(text="t9", cap=5), TrialSend)


async def test_a_double_tap_posts_one_test_sms(tmp_path: Path) -> None:
    """#19: a second tap while the first test SMS is on its way (or within the panel's
    40 s duplicate window) posts nothing, and says why."""
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await register(w, alice)
        card = await compose_to_review(w, alice)
        last = alice.messages()[-1].message_id
        await alice.press(card, TEST)
        await alice.press(card, TEST)
        await until_text(w, alice, SENT, after=last)

        def refusal() -> BotMessage | None:
            return next(
                (
                    m
                    for m in alice.messages()
                    if m.message_id > last and ("در راه است" in m.text or "صبر کنید" in m.text)
                ),
                None,
            )

        await w.until(lambda: refusal() is not None)
        told = refusal()
        assert told is not None and "چیزی" in told.text and "فرستاده نشد" in told.text
        await w.settle()
        assert w.sends == 1 and count_rows(w, "trial_sends") == 1


async def test_a_copied_draft_does_not_get_three_more_tests(tmp_path: Path) -> None:
    """#19: the limit is per person, line and text, not per draft."""
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await register(w, alice)
        card = await compose_to_review(w, alice, text="همان متن")
        for n in range(3):
            shift(w, 41 * n)
            await press_test(w, alice, card)
        assert w.sends == 3
        # a second draft with the same line and text
        await alice.send("/send")
        await alice.press(await until_text(w, alice, "پیش‌نویس تازه"), "پیش‌نویس تازه")
        menu = await until_text(w, alice, "خط ارسال", after=card.message_id)
        if menu.buttons:
            await alice.press(menu, menu.buttons[0][0][0], exact=True)
        menu = await until_text(w, alice, "دفترچه‌های تلفن", after=card.message_id)
        await alice.press(menu, menu.buttons[0][0][0], exact=True)
        await w.until(lambda: "✓" in alice.last().buttons[0][0][0])
        await alice.press(alice.last(), "ادامه: متن پیام ◀️", exact=True)
        await until_text(w, alice, "متن پیام", after=card.message_id)
        await alice.send("همان متن")
        preview = await until_text(w, alice, "پیش‌نمایش پیامک", after=card.message_id)
        await alice.press(preview, "زمان: همین حالا ◀️", exact=True)
        copy = await until_text(w, alice, "بازبینی", after=card.message_id)
        assert len(await w.store.list_drafts(alice.user_id)) == 2
        shift(w, 200)
        query = await alice.press(copy, TEST)
        answer = await alice.answer_of(query)
        assert answer.show_alert and LIMIT in answer.text
        await w.settle()
        assert w.sends == 3


async def test_the_panels_duplicate_refusal_says_how_long_to_wait(tmp_path: Path) -> None:
    """#21 point 16: the panel refuses an identical SMS within 40 s (429). The bot says to
    wait, with the seconds left, and posts nothing while that is certain to be refused."""
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await register(w, alice)
        card = await compose_to_review(w, alice)
        # an identical SMS sent a moment ago from the panel itself: the bot cannot know
        w.sandbox.state.fail_next("/api/send", "500", status=429)
        told = await press_test(w, alice, card, "صبر کنید")
        assert f"{num(40, 'fa')} ثانیه" in told.text or f"{num(39, 'fa')} ثانیه" in told.text
        assert "مشکل را رفع کنید" not in told.text
        assert w.sends == 1
        # a tap during the wait posts nothing and counts down
        shift(w, 15)
        again = await press_test(w, alice, card, "صبر کنید")
        assert again.message_id != told.message_id
        assert any(f"{num(n, 'fa')} ثانیه" in again.text for n in (24, 25))
        await w.settle()
        assert w.sends == 1
        # after the wait, the test goes out (the refused one was not counted)
        shift(w, 41)
        sent = await press_test(w, alice, card)
        assert left(2) in sent.text and w.sends == 2


# ------------------------------------------------- the webservice body, the sandbox, the fake


def test_the_webservice_body_is_the_documented_one_and_checked_locally() -> None:
    body = build_webservice_body(sender="+983000505", message="سلام", recipients=["+989121234567"])
    assert body == {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": "سلام",
        "params": {"recipients": ["+989121234567"]},
    }
    for bad in ([], ["09121234567"], ["+98 912"], ["+98912123456"] * 11):
        with pytest.raises(ValidationError) as caught:
            build_webservice_body(sender="+983000505", message="سلام", recipients=bad)
        assert "params.recipients" in caught.value.errors


async def test_send_to_numbers_is_one_post_charged_for_one_message() -> None:
    async with running_sandbox() as sandbox, sandbox_client(sandbox) as client:
        state = sandbox.state
        before = state.accounts[SANDBOX_KEY].credit
        result = await client.send_to_numbers(
            SANDBOX_KEY, SANDBOX_SENDER, "سلام", ["+989121234567"]
        )
        assert state.send_post_count == 1
        sent = state.sends[result.outbox_ids[0]]
        assert (sent.sending_type, sent.numbers, sent.recipients) == (
            "webservice",
            ["+989121234567"],
            1,
        )
        assert before - state.accounts[SANDBOX_KEY].credit == PRICE_PER_PART_MCI
        # a recipient that is not E.164 never leaves the client
        with pytest.raises(ValidationError):
            await client.send_to_numbers(SANDBOX_KEY, SANDBOX_SENDER, "سلام", ["09121234567"])
        assert state.send_post_count == 1


@pytest.mark.parametrize(
    ("button", "description"),
    [
        (
            {"text": "a", "request_contact": "yes"},
            'Field "request_contact" must be of type Boolean',
        ),
        (
            {"text": "a", "request_contact": True, "request_location": True},
            "the fields ['request_contact', 'request_location'] are mutually exclusive",
        ),
    ],
)
async def test_the_fake_refuses_bad_contact_buttons(button: dict, description: str) -> None:
    async with FakeTelegram() as fake:
        fake.user(1001)
        status, body = await call(
            fake, "sendMessage", chat_id=1001, text="hi", reply_markup={"keyboard": [[button]]}
        )
        assert (status, body["description"]) == (
            400,
            "Bad Request: can't parse keyboard button: " + description,
        )


async def test_the_fake_asks_for_contacts_in_private_chats_only() -> None:
    async with FakeTelegram() as fake:
        fake.group()
        markup = {"keyboard": [[{"text": "a", "request_contact": True}]]}
        status, body = await call(
            fake, "sendMessage", chat_id=DEFAULT_GROUP_CHAT_ID, text="hi", reply_markup=markup
        )
        assert status == 400 and "private chats only" in body["description"]
        user = fake.user(1001)
        with pytest.raises(AssertionError):
            await user.share_phone()  # no such button on screen


def test_the_gate_admits_the_phone_buttons_only() -> None:
    assert valid_press("ph:f") and valid_press("ph:c") and valid_press("v:t")
    assert not valid_press("ph:x") and not valid_press("ph:f:1")


async def call(fake: FakeTelegram, method: str, **params: object) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{fake.base_url}{fake.token}/{method}", json=params) as r:
            return r.status, await r.json()


async def test_a_test_sms_is_never_taken_as_proof_that_the_broadcast_went_out(
    tmp_path: Path,
) -> None:
    """#19: test SMS of the text, submit, approve; the broadcast's POST never reaches the
    panel (outcome unknown). "Check status" must not settle it as sent with the test SMS's
    outbox id (same line, same text, a minute earlier)."""
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await bob.send("/start")
        await until_text(w, bob, "نقش شما")
        await set_key(w, alice)
        await register(w, alice)
        card = await compose_to_review(w, alice)
        await press_test(w, alice, card)
        trial_outbox = max(w.sandbox.state.sends)
        await alice.press(card, "ارسال برای تأیید")
        approve = await until_text(w, bob, "درخواست ارسال")
        w.sandbox.state.fail_next("/api/send", "500")  # refused before the panel queued it
        await bob.press(approve, "تأیید و ارسال")
        told = await until_text(w, alice, "نامعلوم")
        assert w.sends == 2 and len(w.sandbox.state.sends) == 1  # only the test SMS is there

        await alice.press(told, "بررسی وضعیت")
        checked = await until_text(w, alice, "هنوز نمی‌توان گفت", after=told.message_id)
        assert str(trial_outbox) not in checked.text
        [b] = await w.store.list_broadcasts(alice.user_id, limit=1)
        assert b.state == BroadcastState.UNKNOWN and b.outbox_ids == []
        await w.settle()
        assert not any(fa_prefix("sent_ok") in (m.text or "") for m in alice.messages())
