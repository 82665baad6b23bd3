"""Tap count: the actions (button presses and typed messages) an admin needs from /send to
a submitted request, counted on the running bot, not estimated.

* a new broadcast to two phonebooks (an admin's first, so no "same as last time");
* "repeat my last broadcast with a new text", right after that one was approved and sent.

Targets from the phone-UX issue: at most 8 actions, and at most 4 actions plus the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.core import BenchFake
from benchmarks.driver import Driver

NEW_TARGET = 8
REPEAT_TARGET = 4  # plus the typed text


@dataclass
class TapCounts:
    new_broadcast: list[str]
    repeat_with_new_text: list[str]

    @property
    def repeat_without_text(self) -> int:
        return len([a for a in self.repeat_with_new_text if not a.startswith("type")])


async def count_taps(fake: BenchFake, requester: Driver, approver: Driver) -> TapCounts:
    """Drive both scenarios and return the actions taken, in order, as labels."""
    u, chat = requester.user, requester.chat
    actions: list[str] = []

    async def press(message, label: str, done, *, exact: bool = False) -> None:
        await requester.act(lambda: u.press(message, label, exact=exact), done)
        actions.append(f"tap {label}")

    async def send(text: str, done) -> None:
        await requester.act(lambda: u.send(text), done)
        actions.append("type the text" if not text.startswith("/") else text)

    mark, amark = requester.mark(), approver.mark()
    await send("/send", requester.rendered("خط ارسال", mark))
    menu = fake.find(chat, "خط ارسال", mark)
    await press(menu, menu.buttons[-1][0][0], requester.rendered("دفترچه‌های تلفن", mark))
    books = fake.latest(chat)
    for i in (0, 1):
        await press(
            books,
            books.buttons[i][0][0],
            lambda n0, i=i: requester.renders_since(n0) >= 1 and "✓" in books.buttons[i][0][0],
        )
    await press(books, "ادامه: متن پیام ◀️", requester.rendered("متن پیامک را بنویسید", mark))
    await send("جشنواره پاییزه از فردا", requester.rendered("پیش‌نمایش پیامک", mark))
    preview = fake.find(chat, "پیش‌نمایش پیامک", mark)
    await press(preview, "زمان: همین حالا ◀️", requester.rendered("بازبینی", mark))
    review = fake.latest(chat)
    await press(review, "ارسال برای تأیید", requester.rendered("برای تأیید فرستاده شد", mark))
    new_broadcast = actions[:]

    # the approver approves: the send makes it "last time" for the requester
    await fake.wait_chat(
        approver.chat, lambda: fake.find(approver.chat, "درخواست ارسال", amark) is not None, 30
    )
    card = fake.find(approver.chat, "درخواست ارسال", amark)
    await approver.act(lambda: approver.user.press(card, "تأیید"), lambda n0: True)
    await fake.wait_chat(chat, lambda: fake.find(chat, "✅", mark) is not None, 30)
    await fake.idle(quiet=0.3, timeout=30)

    actions.clear()
    mark = requester.mark()
    await send("/send", requester.rendered("خط ارسال", mark))
    menu = fake.find(chat, "خط ارسال", mark)
    await press(menu, "🔁 مثل دفعهٔ قبل", requester.rendered("متن پیامک را بنویسید", mark))
    await send("جشنواره پاییزه تمدید شد", requester.rendered("پیش‌نمایش پیامک", mark))
    preview = fake.find(chat, "پیش‌نمایش پیامک", mark)
    await press(preview, "زمان: همین حالا ◀️", requester.rendered("بازبینی", mark))
    review = fake.latest(chat)
    await press(review, "ارسال برای تأیید", requester.rendered("برای تأیید فرستاده شد", mark))
    return TapCounts(new_broadcast, actions[:])


def tap_rows(counts: TapCounts) -> list[tuple[str, str, str, str, bool]]:
    """(metric, value, detail, target, ok) rows for the benchmark table."""
    new = len(counts.new_broadcast)
    repeat = counts.repeat_without_text
    return [
        (
            "taps: /send to submitted, new broadcast to 2 phonebooks",
            f"{new} actions",
            " → ".join(counts.new_broadcast),
            f"<= {NEW_TARGET}",
            new <= NEW_TARGET,
        ),
        (
            "taps: repeat my last broadcast with a new text",
            f"{repeat} actions + the text",
            " → ".join(counts.repeat_with_new_text),
            f"<= {REPEAT_TARGET} + text",
            repeat <= REPEAT_TARGET,
        ),
    ]
