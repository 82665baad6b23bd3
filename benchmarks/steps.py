"""What a benchmark user does: the API key, one draft, an echo round; and the start-up
measurement (spawn to first getUpdates)."""

from __future__ import annotations

import asyncio
import os
import time
from functools import partial
from pathlib import Path

from cryptography.fernet import Fernet

from benchmarks.core import BenchFake, BotProcess
from benchmarks.driver import Driver
from benchmarks.echo_bot import BUTTON
from benchmarks.model import KEY


async def set_key(d: Driver, key: str = KEY) -> None:
    mark = d.mark()
    await d.act(lambda: d.user.send("/token"), d.rendered(None, mark))
    await d.act(lambda: d.user.send(key), d.rendered("✅", mark))


async def bot_draft(
    d: Driver,
    text: str,
    steps: dict[str, list[tuple[float, float]]] | None = None,
    *,
    finish: str = "save",
) -> None:
    """One draft like an admin makes it: sender, a book, a page turn, text, time, review."""
    fake, u, chat = d.fake, d.user, d.chat

    def s(name: str) -> list[tuple[float, float]] | None:
        return None if steps is None else steps[name]

    mark = d.mark()

    def start_done(n0: int) -> bool:
        return (
            d.renders_since(n0) >= 1
            and (fake.find(chat, "خط ارسال", mark) or fake.find(chat, "نیمه‌کاره", mark)) is not None
        )

    await d.act(lambda: u.send("/send"), start_done, s("/send"))
    if fake.find(chat, "خط ارسال", mark) is None:
        prompt = fake.latest(chat)
        await d.act(lambda: u.press(prompt, "پیش‌نویس تازه"), d.rendered("خط ارسال", mark))
    menu = fake.find(chat, "خط ارسال", mark)
    assert menu is not None
    await d.act(
        lambda: u.press(menu, menu.buttons[0][0][0], exact=True),
        d.rendered("دفترچه‌های تلفن", mark),
        s("sender"),
    )
    books = fake.find(chat, "دفترچه‌های تلفن", mark)
    assert books is not None
    await d.act(
        lambda: u.press(books, books.buttons[0][0][0], exact=True),
        lambda n0: d.renders_since(n0) >= 1 and "✓" in books.buttons[0][0][0],
        s("book toggle"),
    )
    await d.act(
        lambda: u.press(books, "بعدی ◀️", exact=True),
        lambda n0: d.renders_since(n0) >= 1 and any(b.startswith("2/") for b in books.button_texts),
        s("page turn"),
    )
    await d.act(
        lambda: u.press(books, "ادامه: متن پیام ◀️", exact=True),
        lambda n0: (
            d.renders_since(n0) >= 1
            and "متن پیام" in fake.latest(chat).text
            and "دفترچه‌های تلفن" not in fake.latest(chat).text
        ),
        s("books done"),
    )
    await d.act(lambda: u.send(text), d.rendered("پیش‌نمایش پیامک", mark), s("text"))
    preview = fake.find(chat, "پیش‌نمایش پیامک", mark)
    assert preview is not None
    await d.act(
        lambda: u.press(preview, "زمان ارسال"),
        lambda n0: d.renders_since(n0) >= 1 and "همین حالا" in fake.latest(chat).button_texts,
        s("time"),
    )
    times = fake.latest(chat)
    await d.act(
        lambda: u.press(times, "همین حالا"),
        lambda n0: d.renders_since(n0) >= 1 and "بازبینی" in fake.latest(chat).text,
        s("review"),
    )
    review = fake.latest(chat)
    if finish == "save":
        await d.act(
            lambda: u.press(review, "ذخیره و خروج"),
            d.rendered("پیش‌نویس ذخیره شد", mark),
            s("save"),
        )
    else:
        await d.act(
            lambda: u.press(review, "ارسال برای تأیید"),
            d.rendered("برای تأیید فرستاده شد", mark),
            s("submit"),
        )


# The kinds of update of one bot_draft, in its order: /send, the sender, a book, a page turn,
# books done (and the "new draft" press when a draft was left open), the text, the time,
# "now", save. The echo's draft makes the same kinds, so its Bot API calls match.
ECHO_DRAFT = (
    "text",
    "press",
    "press",
    "press",
    "press",
    "press",
    "text",
    "press",
    "press",
    "press",
)


async def echo_draft(d: Driver, samples: dict[str, list] | None = None) -> None:
    """The echo's counterpart of :func:`bot_draft`: a text is echoed with a button, a press
    is answered and its message edited; ``samples`` gets "reply" and "press" timings."""

    def done(n0: int) -> bool:
        return d.renders_since(n0) >= 1

    for i, kind in enumerate(ECHO_DRAFT):
        got = None if samples is None else samples["reply" if kind == "text" else "press"]
        if kind == "text":
            await d.act(partial(d.user.send, f"پیام آزمایشی {d.chat} شماره {i}"), done, got)
        else:
            message = d.fake.latest(d.chat)
            await d.act(partial(d.user.press, message, BUTTON, exact=True), done, got)


async def echo_round(d: Driver, count: int, samples: list | None = None) -> None:
    for i in range(count):
        await d.act(
            lambda i=i: d.user.send(f"پیام آزمایشی {d.chat} شماره {i}"),
            lambda n0: d.renders_since(n0) >= 1,
            samples,
        )


async def measure_startup(fake: BenchFake, proc: BotProcess, runs: int, out: list[float]) -> None:
    """Spawn to first getUpdates; the last spawned process is left running."""
    for run in range(runs):
        if run:
            await proc.stop()
        fake.first_getupdates = None
        proc.spawn()
        deadline = time.monotonic() + 60
        while fake.first_getupdates is None:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited early; see {proc.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{proc.name} never polled; see {proc.log_path}")
            await asyncio.sleep(0.002)
        out.append(fake.first_getupdates - proc.spawned)
    await asyncio.sleep(0.3)  # let post-start work (jobs, first heartbeat) settle


def bot_env(
    fake: BenchFake,
    ippanel_url: str,
    admins: list[int],
    data_dir: Path,
    approvers: list[int] | None = None,
) -> dict:
    """The environment of a benchmarked ``python -m bot``: this machine's, plus the fake
    Bot API, the sandbox panel, the admins (approvers too, unless named) and a fresh data
    directory and key."""
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "ADMIN_IDS": ",".join(map(str, admins)),
        "APPROVER_IDS": ",".join(map(str, admins if approvers is None else approvers)),
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "IPPANEL_BASE_URL": ippanel_url,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": Fernet.generate_key().decode(),
        "LOG_LEVEL": "WARNING",
    }
