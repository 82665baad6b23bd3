"""The phases that run on the bot after the latency drafts: the pickers over 10,000
phonebooks (sandbox calls per page view) and the send path (approve press to POST)."""

from __future__ import annotations

import asyncio
import time

import httpx

from benchmarks.core import BenchFake
from benchmarks.driver import Driver
from benchmarks.model import Config, Results
from benchmarks.steps import bot_draft
from sandbox import RunningSandbox


async def scale_phase(
    cfg: Config, res: Results, fake: BenchFake, sandbox: RunningSandbox, d: Driver
) -> None:
    u, chat = d.user, d.chat
    requests = sandbox.state.requests

    async def view(name: str, action, done) -> None:
        before = len(requests)
        samples: list[tuple[float, float]] = []
        await d.act(action, done, samples)
        await asyncio.sleep(0.05)  # count late calls too
        res.scale[name].append((samples[0][1], len(requests) - before))

    mark = d.mark()
    await d.act(
        lambda: u.send("/send"),
        lambda n0: (
            d.renders_since(n0) >= 1
            and (fake.find(chat, "خط ارسال", mark) or fake.find(chat, "نیمه‌کاره", mark)) is not None
        ),
    )
    if fake.find(chat, "خط ارسال", mark) is None:
        prompt = fake.latest(chat)
        await d.act(lambda: u.press(prompt, "پیش‌نویس تازه"), d.rendered("خط ارسال", mark))
    menu = fake.find(chat, "خط ارسال", mark)
    assert menu is not None
    await view(
        "phonebooks: first page",
        lambda: u.press(menu, menu.buttons[0][0][0], exact=True),
        d.rendered("دفترچه‌های تلفن", mark),
    )
    books = fake.find(chat, "دفترچه‌های تلفن", mark)
    assert books is not None
    for i in range(cfg.scale_page_turns):
        page = i + 2 if i < cfg.scale_page_turns // 2 else cfg.scale_page_turns - i
        label = "بعدی ◀️" if i < cfg.scale_page_turns // 2 else "▶️ قبلی"
        await view(
            "phonebooks: page turn",
            lambda label=label: u.press(books, label, exact=True),
            lambda n0, page=page: (
                d.renders_since(n0) >= 1
                and any(b.startswith(f"{page}/") for b in books.button_texts)
            ),
        )
    await d.act(
        lambda: u.press(books, books.buttons[0][0][0], exact=True),
        lambda n0: d.renders_since(n0) >= 1 and "✓" in books.buttons[0][0][0],
    )
    await d.act(
        lambda: u.press(books, "⚙️ بازه یا مخاطبان دلخواه", exact=True),
        d.rendered("دفترچه‌های انتخاب‌شده", mark),
    )
    options = fake.latest(chat)
    gear = next(b for b in options.button_texts if b.startswith("⚙️"))
    await d.act(
        lambda: u.press(options, gear, exact=True),
        lambda n0: d.renders_since(n0) >= 1 and "انتخاب مخاطبان" in fake.latest(chat).button_texts,
    )
    book = fake.latest(chat)
    await view(
        "contacts: first page",
        lambda: u.press(book, "انتخاب مخاطبان", exact=True),
        lambda n0: (
            d.renders_since(n0) >= 1
            and "مخاطبان" in fake.latest(chat).text
            and any("/" in b for b in fake.latest(chat).button_texts)
        ),
    )
    contacts = fake.latest(chat)
    pages = next(b for b in contacts.button_texts if b.startswith("1/")).split("/")[1]
    for i in range(cfg.scale_page_turns):
        forward = i % 2 == 0 or pages != "2"
        label = "بعدی ◀️" if forward else "▶️ قبلی"
        page = (i + 2) if pages != "2" else (2 if forward else 1)
        await view(
            "contacts: page turn",
            lambda label=label: u.press(contacts, label, exact=True),
            lambda n0, page=page: (
                d.renders_since(n0) >= 1
                and any(b.startswith(f"{page}/") for b in contacts.button_texts)
            ),
        )
    await d.act(lambda: u.send("/cancel"), d.rendered(None))


async def send_path_phase(
    cfg: Config,
    res: Results,
    fake: BenchFake,
    sandbox: RunningSandbox,
    requesters: list[Driver],
    approver: Driver,
) -> None:
    """Each sample uses a fresh requester (one submitted request per admin)."""
    posts = sandbox.state.send_posts
    for i in range(cfg.send_samples):
        amark = approver.mark()
        await bot_draft(requesters[i], f"ارسال آزمایشی شماره {i}", finish="submit")
        await fake.wait_chat(
            approver.chat,
            lambda amark=amark: fake.find(approver.chat, "درخواست ارسال", amark) is not None,
        )
        card = fake.find(approver.chat, "درخواست ارسال", amark)
        assert card is not None
        before = len(posts)
        await approver.user.press(card, "تأیید")
        _, wall = fake.last_enqueue[approver.chat]
        deadline = time.monotonic() + cfg.step_timeout
        while len(posts) == before:
            if time.monotonic() > deadline:
                raise TimeoutError("the approved send never reached the sandbox")
            await asyncio.sleep(0.001)
        res.send_path.append(posts[before].time.timestamp() - wall)
        await fake.idle(quiet=0.3, timeout=cfg.step_timeout)

    record = posts[-1]
    async with httpx.AsyncClient() as client:
        url = sandbox.root_url + record.path
        headers = {"Authorization": record.authorization or ""}
        for i in range(3 + cfg.bare_post_samples):
            before = len(posts)
            started = time.time()
            response = await client.post(url, json=record.json, headers=headers)
            response.raise_for_status()
            if i >= 3:
                res.bare_post.append(posts[before].time.timestamp() - started)
