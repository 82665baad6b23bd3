"""What an admin still tripped over on the phone (issue #21, the screen points), each read
as the person reads it: end to end through the real PTB stack, the fake Bot API and the
sandbox panel. Point 10 (a forwarded own contact) is in tests/handlers/test_flow_trial.py."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.jalali import format_gregorian_date, format_jalali
from bot.texts import FA
from handlers.credit_watch import sweep
from handlers.session import CustomContext
from tests.fakes.telegram_api import BotMessage, FakeUser
from tests.harness import (
    World,
    bot_world,
    compose_to_review,
    set_key,
    start_all,
    submit_request,
    until_text,
)

TWO = "recipients>=1:2"
APPROVE = "تأیید و ارسال"
SUBMIT = "ارسال برای تأیید"
PLAN = "ارسال تدریجی"
MARKS = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u200e\u200f"))
KEY = "OWM2ZjE1NDEtYzE3Ny00YzQ1LWI0ZTItsecretKEY9f3a"


def plain(text: str | None) -> str:
    """The text without the direction isolates numbers and names are wrapped in."""
    return (text or "").translate(MARKS)


async def until_plain(w: World, user: FakeUser, needle: str, *, after: int = 0) -> BotMessage:
    def found() -> BotMessage | None:
        return next(
            (
                m
                for m in reversed(user.messages())
                if m.message_id > after and needle in plain(m.text)
            ),
            None,
        )

    await w.fake.wait_until(lambda: found() is not None, timeout=8)
    result = found()
    assert result is not None
    return result


async def until_all(w: World, user: FakeUser, *needles: str) -> BotMessage:
    """The newest message (edits count) that holds every needle."""

    def found() -> BotMessage | None:
        return next(
            (m for m in reversed(user.messages()) if all(n in (m.text or "") for n in needles)),
            None,
        )

    await w.fake.wait_until(lambda: found() is not None, timeout=8)
    result = found()
    assert result is not None
    return result


async def scheduled_review(w: World, user: FakeUser) -> BotMessage:
    """Compose, then move the send time to tomorrow 09:00; returns the review card."""
    review = await compose_to_review(w, user)
    await user.press(review, "✏️ زمان")
    await until_text(w, user, "زمان ارسال", after=review.message_id - 1)
    await user.press(user.last(), "فردا ساعت ۹")
    return await until_text(w, user, "زمان: ۱۴", after=review.message_id - 1)


def fa_jalali(w: World, when: datetime | str) -> str:
    at = datetime.fromisoformat(when) if isinstance(when, str) else when
    return plain(format_jalali(at, w.settings.tz, "fa"))


# ------------------------------------------------------------------ 1, 2: /history


async def test_history_names_every_approver_and_shows_the_send_time(tmp_path: Path) -> None:
    """Point 1: both approvers of a two-approval request are named. Point 2: a scheduled
    send is shown at its send time, not at its approval time, and so is a pending one."""
    async with bot_world(tmp_path, approval_rules=TWO) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        await start_all(w, bob, carol)
        await set_key(w, alice)
        review = await scheduled_review(w, alice)
        await alice.press(review, SUBMIT)
        await until_text(w, alice, "برای تأیید فرستاده شد")
        [request] = await w.store.list_pending_requests()
        send_at = fa_jalali(w, request.snapshot.send_at)

        await alice.send("/history")  # pending: shown, with its send time
        pending = await until_plain(w, alice, "در انتظار تأیید")
        assert f"#{request.number} · تأییدها: ۰ از ۲ · زمان ارسال: {send_at}" in plain(pending.text)

        card_b = await until_text(w, bob, "درخواست ارسال")
        card_c = await until_text(w, carol, "درخواست ارسال")
        await bob.press(card_b, APPROVE)
        await until_text(w, alice, "را تأیید کرد")
        await carol.press(card_c, APPROVE)
        await until_text(w, alice, "زمان‌بندی شد")

        await alice.send("/history")
        history = await until_plain(w, alice, "زمان ارسال", after=pending.message_id)
        text = plain(history.text)
        assert f"زمان‌بندی‌شده · زمان ارسال: {send_at}" in text
        assert "تأیید: Admin1002 (1002)، Admin1003 (1003)" in text
        assert "در انتظار تأیید" not in text


# ------------------------------------------------------------------ 3, 12, 13: gradual menu


async def test_plan_menu_says_now_has_no_plan_at_once_and_never_leaves_a_dead_submit(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)  # time: now
        await alice.press(review, PLAN)
        menu = await until_text(w, alice, "اندازهٔ هر نوبت", after=review.message_id - 1)
        # point 3: said when the menu opens, with the way out (the time step) first
        assert FA["plan_no_time"].replace("\\", "") in menu.text
        assert menu.buttons[0][0][0] == "⏱ زمان نوبت اول"
        await alice.press(menu, "۵۰۰", exact=True)
        await w.until(lambda: "✓ ۵۰۰" in alice.last().button_texts)

        # point 3: back on the review, no submit that could only fail: the fixes instead
        await alice.press(alice.last(), "بازگشت به بازبینی")
        blocked = await until_text(w, alice, "ارسال تدریجی انتخاب شده", after=menu.message_id - 1)
        assert not any(SUBMIT in b for b in blocked.button_texts)
        assert "⏱ زمان نوبت اول" in blocked.button_texts
        assert any("ارسال یک‌جا" in b for b in blocked.button_texts)
        await alice.press(blocked, "⏱ زمان نوبت اول")
        await until_text(w, alice, "زمان ارسال", after=blocked.message_id - 1)
        await alice.press(alice.last(), "یک ساعت دیگر")
        ready = await until_all(w, alice, "۵. بازبینی", "نوبت اول:")
        assert "ارسال تدریجی انتخاب شده" not in ready.text
        await alice.press(ready, SUBMIT)
        await until_text(w, alice, "برای تأیید فرستاده شد")
        await bob.press(await until_text(w, bob, "درخواست ارسال"), APPROVE)
        await until_text(w, alice, "برنامهٔ ارسال تدریجی")

        # point 2, plans: the plan's line in /history shows its send times, first to last
        [first] = await w.store.list_broadcasts(alice.user_id, limit=1, plans_once=True)
        plan = first.snapshot.plan
        assert plan is not None
        await alice.send("/history")
        history = await until_plain(w, alice, "ارسال تدریجی · زمان ارسال")
        span = f"{fa_jalali(w, plan.first_at)} تا {fa_jalali(w, plan.last_at)}"
        assert f"ارسال تدریجی · زمان ارسال: {span}" in plain(history.text)


async def test_plan_menu_rows_read_right_to_left_and_a_re_tap_is_only_answered(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await scheduled_review(w, alice)
        await alice.press(review, PLAN)
        menu = await until_text(w, alice, "اندازهٔ هر نوبت", after=review.message_id - 1)
        # point 12: rows read right to left in Persian, minutes in words
        rows = [[text for text, _ in row] for row in menu.buttons]
        assert ["۲٬۰۰۰", "۱٬۰۰۰", "۵۰۰"] in rows
        assert ["۶۰ دقیقه", "۳۰ دقیقه", "۱۵ دقیقه"] in rows
        assert not any("′" in b for b in menu.button_texts)

        await alice.press(menu, "۵۰۰", exact=True)
        await w.until(lambda: "✓ ۵۰۰" in alice.last().button_texts)
        await alice.press(alice.last(), "۱۵ دقیقه", exact=True)
        await w.until(lambda: "✓ ۱۵ دقیقه" in alice.last().button_texts)
        await w.settle()
        # point 13: a chosen option again: answered, and no edit Telegram would refuse
        for again in ("✓ ۵۰۰", "✓ ۱۵ دقیقه"):
            edits = len(w.fake.calls_to("editMessageText"))
            query = await alice.press(alice.last(), again, exact=True)
            assert (await alice.answer_of(query)).ok
            await w.settle()
            assert len(w.fake.calls_to("editMessageText")) == edits
        assert not [c for c in w.fake.bot_calls() if c.status == 400]


async def test_plan_menu_says_at_once_that_several_books_cannot_go_gradually(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice, books=2)
        await alice.press(review, PLAN)
        menu = await until_text(w, alice, "اندازهٔ هر نوبت", after=review.message_id - 1)
        assert "فقط برای یک دفترچه" in menu.text


# ------------------------------------------------------------------ 5, 8, 20: the cost


async def test_one_cost_line_before_the_text_on_review_and_approval_cards(tmp_path: Path) -> None:
    """Point 5: a plan's review shows the cost once. Point 20: on the approver's card the
    cost comes before the text, as on the review."""
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await scheduled_review(w, alice)
        await alice.press(review, PLAN)
        menu = await until_text(w, alice, "اندازهٔ هر نوبت", after=review.message_id - 1)
        await alice.press(menu, "۵۰۰", exact=True)
        await w.until(lambda: "✓ ۵۰۰" in alice.last().button_texts)
        await alice.press(alice.last(), "بازگشت به بازبینی")
        planned = await until_all(w, alice, "۵. بازبینی", "نوبت اول:")
        assert planned.text.count("هزینهٔ تخمینی") == 1, planned.text
        message = "سلام، تخفیف ویژهٔ امروز"
        assert planned.text.index("هزینهٔ تخمینی") < planned.text.index(message)
        await alice.press(planned, SUBMIT)
        card = await until_text(w, bob, "درخواست ارسال")
        assert card.text.count("هزینهٔ تخمینی") == 1, card.text
        assert card.text.index("هزینهٔ تخمینی") < card.text.index(message)


async def test_an_unknown_price_is_not_unknown_rials(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        w.sandbox.state.fail_next("/api/send/calculate-price", "500", times=50)
        review = await compose_to_review(w, alice)
        await alice.press(review, SUBMIT)
        card = await until_text(w, bob, "درخواست ارسال")
        text = plain(card.text)
        assert "هزینهٔ تخمینی: نامعلوم · اعتبار فعلی: " in text
        assert "نامعلوم ریال" not in text
        assert text.split("اعتبار فعلی: ", 1)[1].split("\n", 1)[0].endswith(" ریال")


# ------------------------------------------------------------------ 6: provider words


async def test_a_failed_test_sms_says_the_provider_error_in_the_compose_words(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await alice.send("/phone")
        await until_text(w, alice, "فرستادن شمارهٔ من")
        await alice.share_phone()
        await until_text(w, alice, "برای پیامک آزمایشی ثبت شد")
        card = await compose_to_review(w, alice)
        w.sandbox.state.fail_next("/api/send", "500")
        await alice.press(card, "آزمایش روی گوشی من")
        told = await until_text(w, alice, "نتیجهٔ پیامک آزمایشی نامعلوم است")
        sentence = told.text.split("\n", 1)[0]
        assert sentence.endswith(": سامانهٔ IPPanel دچار خطای داخلی شد"), sentence
        assert "Server Error" not in sentence


# ------------------------------------------------------------------ 7: the time zone


async def test_the_time_step_says_tehran_time_in_words(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "✏️ زمان")
        step = await until_text(w, alice, "زمان ارسال", after=review.message_id - 1)
        assert "(به وقت تهران)" in step.text and "Asia/Tehran" not in step.text


# ------------------------------------------------------------------ 9: buttons that stop meaning


async def test_submitted_review_and_decided_request_keep_no_live_buttons(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        _, cards = await submit_request(w, alice, (bob,))
        review = next(m for m in alice.messages() if "بازبینی" in m.text)
        assert review.buttons == [] and "سلام، تخفیف ویژهٔ امروز" in review.text
        waiting = await until_text(w, alice, "برای تأیید فرستاده شد")
        assert "↩️ پس گرفتن درخواست" in waiting.button_texts
        await bob.press(cards[bob.user_id], APPROVE)
        await until_text(w, alice, "انجام شد")
        settled = await until_text(w, alice, "اکنون: تأییدشده")
        assert settled.message_id == waiting.message_id and settled.buttons == []


# ------------------------------------------------------------------ 11: a key-like name


async def test_a_key_like_saved_text_name_is_deleted_and_the_name_asked_again(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "ذخیرهٔ این متن")
        prompt = await until_text(w, alice, "یک نام کوتاه", after=review.message_id - 1)
        key_message = await alice.send(KEY)
        told = await until_text(w, alice, "شبیه کلید API", after=prompt.message_id)
        assert "یک نام کوتاه برای متن بنویسید" in told.text and "/token" not in told.text
        assert alice.deleted(key_message)
        await alice.send("تخفیف")  # the prompt is still open: this is the name
        await until_text(w, alice, "با نام «تخفیف» ذخیره شد")


# ------------------------------------------------------------------ 14: scheduled result


async def test_the_scheduled_result_shows_the_gregorian_day(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await scheduled_review(w, alice)
        await alice.press(review, SUBMIT)
        await until_text(w, alice, "برای تأیید فرستاده شد")
        [request] = await w.store.list_pending_requests()
        at = request.snapshot.send_time
        await bob.press(await until_text(w, bob, "درخواست ارسال"), APPROVE)
        done = await until_text(w, alice, "زمان‌بندی شد برای")
        day = format_gregorian_date(at, w.settings.tz)
        assert f"برای {fa_jalali(w, at)} ({day})." in plain(done.text)


# ------------------------------------------------------------------ 17: same as last time


async def test_same_as_last_time_names_the_line_and_books_on_the_text_step(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path, approvals_required="0") as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "✅ ارسال")
        done = await until_text(w, alice, "انجام شد")
        [sent] = await w.store.list_broadcasts(alice.user_id, limit=1)
        sender, book = sent.snapshot.sender, sent.snapshot.selections[0].title
        await alice.send("/send")
        menu = await until_text(w, alice, "۱. خط ارسال", after=done.message_id)
        await alice.press(menu, "مثل دفعهٔ قبل")
        step = await until_text(w, alice, "۳. متن پیام", after=menu.message_id - 1)
        line = plain(step.text).split("\n")[1]
        assert line.startswith("از خط ") and f"({sender}) به {book} (" in line
        assert line.endswith(" گیرنده)")


# ------------------------------------------------------------------ 19: /credit for an approver


async def test_an_approver_without_a_key_sees_the_credit_the_alert_was_about(
    tmp_path: Path,
) -> None:
    """Bob approves but has no key of his own. He gets the low-credit alert about Alice's
    key, so his /credit shows that key's credit, its owner and account, not "set a key"."""
    async with bot_world(tmp_path, credit_alert_rials=100_000) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        w.sandbox.state.set_credit("sandbox-key", 50_000)
        await sweep(CustomContext(w.app))
        alert = await until_text(w, bob, "اعتبار حساب IPPanel رو به پایان است")
        await bob.send("/credit")
        credit = await until_plain(w, bob, "اعتبار کلیدهایی", after=alert.message_id)
        text = plain(credit.text)
        assert "Admin1001 (1001)" in text and "شرکت نمونه تهران" in text
        assert "اعتبار: ۵۰٬۰۰۰ ریال" in text
        assert "ابتدا کلید API" not in text
        # Carol too has no key and is an approver; an admin with a key still sees their own
        await alice.send("/credit")
        own = await until_plain(w, alice, "اعتبار حساب: ")
        assert "اعتبار کلیدهایی" not in own.text


async def test_history_lists_five_pending_requests_and_counts_the_rest(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, SUBMIT)
        await until_text(w, alice, "درخواست #1 برای تأیید فرستاده شد")
        [first] = await w.store.list_pending_requests()
        draft = await w.store.get_draft(first.draft_id)
        for n in range(5):  # five more requests, each from a copy of the draft
            copy = await w.store.create_draft(
                alice.user_id,
                sender=draft.sender,
                sender_label=draft.sender_label,
                selections=draft.selections,
                text=f"پیام شمارهٔ {n}",
                step=draft.step,
            )
            result = await w.app.services.broadcasts.submit(copy, alice.user_id)
            assert result.kind == "pending"
        await bob.send("/history")  # an approver sees what waits for a decision
        history = await until_plain(w, bob, "در انتظار تأیید")
        text = plain(history.text)
        assert [f"#{n} · تأییدها: ۰ از ۱" in text for n in range(1, 7)] == [True] * 5 + [False]
        assert "… و ۱ درخواست دیگر در انتظار تأیید" in text
        assert "زمان ارسال: همین حالا (پس از تأیید)" in text
