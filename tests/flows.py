"""Conversation flows shared by several end-to-end test modules (plans, guardrails, races,
the lifecycle, a year of use): each drives the real bot as an admin would."""

from __future__ import annotations

from tests.harness import (
    World,
    compose_to_review,
    set_key,
    start_all,
    submit_request,
    until_text,
)

SEED = {"contacts_per_book": 25}


ISOLATES = dict.fromkeys(range(0x2066, 0x206A))


def plain(text: str | None) -> str:
    """Visible text without the bidi isolates numbers are wrapped in."""
    return (text or "").translate(ISOLATES)


async def until_plain(w: World, user, needle: str, *, after: int = 0):
    """until_text, matching the visible text (numbers are isolated in the real one)."""

    def found():
        for message in reversed(user.messages()):
            if message.message_id > after and needle in plain(message.text):
                return message
        return None

    await w.fake.wait_until(lambda: found() is not None, timeout=8.0)
    return found()


async def plan_review(w: World, user, *, batch: str = "10", every: str = "۱۵ دقیقه"):
    """Compose to review, then "send gradually": batch typed, interval picked, first batch
    in one hour. Returns the review card."""
    review = await compose_to_review(w, user)
    await user.press(review, "ارسال تدریجی")
    menu = await until_text(w, user, "اندازهٔ هر نوبت")
    await user.press(menu, "اندازهٔ دیگر")
    await until_text(w, user, "اندازهٔ هر نوبت را بنویسید")
    await user.send("عدد")  # not a number: told, draft intact
    refused = await until_text(w, user, "این عدد پذیرفته نیست")
    await user.send(batch)
    # "now" has no plan (said as soon as the menu opened, and again on the new menu)
    menu = await until_text(w, user, "زمان نوبت اول", after=refused.message_id)
    await user.press(user.last(), every, exact=True)
    await w.until(lambda: "✓ " + every in str(user.last().button_texts))
    await user.press(user.last(), "زمان")
    await until_text(w, user, "زمان ارسال")
    await user.press(user.last(), "یک ساعت دیگر")
    return await until_text(w, user, "بازبینی")


async def approved_plan(w: World, **kw):
    alice, bob = w.admin(0), w.admin(1)
    await start_all(w, bob)
    await set_key(w, alice)
    review = await plan_review(w, alice, **kw)
    await alice.press(review, "ارسال برای تأیید")
    card = await until_text(w, bob, "درخواست ارسال")
    return alice, bob, review, card


TEXT = "سلام، تخفیف ویژهٔ امروز"


async def compose(w: World, user, *, book_index: int = 0, text: str = TEXT):
    """/send → the first line → one phonebook → text → now → the review card."""
    before = max((m.message_id for m in user.messages()), default=0)
    await user.send("/send")
    menu = await until_text(w, user, "خط ارسال", after=before)
    await user.press(menu, "خط خدماتی")  # not "same as last time": pick the book below
    menu = await until_text(w, user, "دفترچه‌های تلفن", after=before)
    await user.press(menu, menu.buttons[book_index][0][0], exact=True)
    await w.until(lambda: "✓" in user.last().buttons[book_index][0][0])
    await user.press(user.last(), "ادامه: متن پیام ◀️", exact=True)
    await until_text(w, user, "متن پیام", after=before)
    await user.send(text)
    preview = await until_text(w, user, "پیش‌نمایش پیامک", after=before)
    await user.press(preview, "زمان: همین حالا ◀️", exact=True)
    return await until_text(w, user, "بازبینی", after=before)


async def unknown_send(w: World):
    """Alice's request, approved by Bob, answered with a 500: outcome unknown, 1 POST."""
    alice, bob = w.admin(0), w.admin(1)
    _, cards = await submit_request(w, alice, (bob,))
    w.sandbox.state.fail_next("/api/send", "500")  # refused before the sandbox queued it
    await bob.press(cards[bob.user_id], "تأیید و ارسال")
    told = await until_text(w, alice, "نامعلوم")
    await until_text(w, bob, "نامعلوم")
    assert w.sends == 1
    return alice, bob, told


async def approve_plan_killed_after_batch_1(w: World, approver, card) -> None:
    """``approver`` approves the plan on ``card`` and the process "dies" right before batch
    2's row is written (its ``start_broadcast`` raises): batch 1 is posted, nothing else."""
    store = w.app.services.store
    real = store.start_broadcast
    calls = 0

    async def dies_before_second_row(**kw):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("killed between two batches")
        return await real(**kw)

    store.start_broadcast = dies_before_second_row
    await approver.press(card, "تأیید و ارسال")
    await w.until(lambda: calls == 2)
    assert w.sends == 1
