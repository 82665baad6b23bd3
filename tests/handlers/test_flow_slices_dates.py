"""A slice and a date mean what the admin typed and the approver saw, down to the POST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.jalali import format_jalali
from tests.harness import World, bot_world, set_key, start_all, until_text


async def to_book_options(w: World, user) -> None:
    await user.send("/send")
    menu = await until_text(w, user, "خط ارسال")
    await user.press(menu, menu.buttons[0][0][0], exact=True)
    menu = await until_text(w, user, "دفترچه‌های تلفن")
    await user.press(menu, menu.buttons[0][0][0], exact=True)
    await w.until(lambda: "✓" in user.last().buttons[0][0][0])
    await user.press(user.last(), "⚙️ بازه یا مخاطبان دلخواه", exact=True)
    options = await until_text(w, user, "دفترچه‌های انتخاب‌شده")
    await user.press(options, options.buttons[0][0][0], exact=True)
    await until_text(w, user, "چه کسانی")
    await user.press(user.last(), "یک بازه")
    await until_text(w, user, "ردیف اول و آخر")


async def test_a_range_is_rows_first_to_last_and_the_post_carries_exactly_that(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path, sandbox_seed={"contacts_per_book": 250}) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        await to_book_options(w, alice)
        # refused, each with its reason, and the admin stays on the slice prompt
        await alice.send("-1 2")
        assert "نفهمیدم" in (await alice.reply()).text
        await alice.send("1 999999999")
        assert "فقط ⁨۲۵۰⁩ مخاطب" in (await alice.reply()).text
        await alice.send("200-101")
        assert "پیش از ردیف اول" in (await alice.reply()).text
        await alice.send("۱۰۱ تا ۲۰۰")
        options = await until_text(w, alice, "ردیف ⁨۱۰۱⁩ تا ⁨۲۰۰⁩ (⁨۱۰۰⁩)")
        await alice.press(options, "متن پیام")
        await until_text(w, alice, "متن پیام")
        await alice.send("سلام")
        await alice.press(await until_text(w, alice, "پیش‌نمایش پیامک"), "زمان ارسال")
        await alice.press(await until_text(w, alice, "زمان ارسال"), "همین حالا")
        review = await until_text(w, alice, "بازبینی")
        assert "ردیف ⁨۱۰۱⁩ تا ⁨۲۰۰⁩ (⁨۱۰۰⁩)" in review.text
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        assert "ردیف ⁨۱۰۱⁩ تا ⁨۲۰۰⁩ (⁨۱۰۰⁩)" in card.text
        await bob.press(card, "تأیید")
        await w.until(lambda: w.sends == 1)
        body = w.sandbox.state.requests_to("/api/send", "POST")[-1].json
        assert body["params"] == [
            {"type": "all", "phonebook_ids": [body["params"][0]["phonebook_ids"][0]],
             "start": "101", "size": "100"}
        ]  # fmt: skip
        assert w.sends == 1


async def test_a_single_number_is_the_first_rows(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await to_book_options(w, alice)
        await alice.send("۱۰")
        await until_text(w, alice, "ردیف ⁨۱⁩ تا ⁨۱۰⁩ (⁨۱۰⁩)")
        draft = (await w.store.list_drafts(alice.user_id))[0]
        assert (draft.selections[0].start, draft.selections[0].size) == (1, 10)


async def test_a_gregorian_year_is_read_as_gregorian_and_shown_in_both_calendars(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        from tests.harness import compose_to_review

        review = await compose_to_review(w, alice)
        await alice.press(review, "✏️ زمان")
        await until_text(w, alice, "زمان ارسال")
        await alice.send("14:30 1405/09/10")
        assert "نفهمیدم" in (await alice.reply()).text
        await alice.send("1405/10/01 25:00")
        assert "ساعت درست نیست" in (await alice.reply()).text
        await alice.send("1406/12/01 10:00")  # more than a year ahead
        assert "بیش از یک سال" in (await alice.reply()).text
        target = (datetime.now(UTC) + timedelta(days=30)).astimezone(w.settings.tz)
        typed = target.strftime("%Y/%m/%d") + " 14:30:00"
        await alice.send(typed)
        review = await until_text(w, alice, "بازبینی")
        draft = (await w.store.list_drafts(alice.user_id))[0]
        assert draft.send_at is not None
        local = draft.send_at.astimezone(w.settings.tz)
        assert (local.year, local.month, local.day, local.hour, local.minute) == (
            target.year,
            target.month,
            target.day,
            14,
            30,
        )
        assert format_jalali(draft.send_at, w.settings.tz) in review.text
        assert target.strftime("%Y-%m-%d") in review.text
        # the Persian word for "at" and Persian digits are accepted too
        await alice.press(review, "✏️ زمان")
        await until_text(w, alice, "زمان ارسال")
        jalali_day = format_jalali(target, w.settings.tz).split()[0]
        await alice.send(f"{jalali_day} ساعت ۱۶:۴۵")
        review = await until_text(w, alice, "۱۶:۴۵")
        assert target.strftime("%Y-%m-%d") in review.text
        assert w.sends == 0
