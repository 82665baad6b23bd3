"""The benchmark scenarios and the results table (``python -m benchmarks``).

Everything runs on loopback: the fake Telegram Bot API and the IPPanel sandbox live in this
process; each bot runs as its own subprocess (``python -m benchmarks.echo_bot``, then
``python -m bot``) so that start-up, CPU time and peak memory are the bot's alone.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from benchmarks.core import BenchFake, BotProcess, median, pct, python_argv
from benchmarks.driver import Driver
from benchmarks.taps import TapCounts, count_taps, tap_rows
from bot.sandbox import RunningSandbox, SandboxState, start_sandbox


@dataclass
class Config:
    startup_runs: int = 3
    echo_latency_samples: int = 40
    bot_latency_drafts: int = 8
    users: int = 50  # throughput: concurrent admins / echo users
    drafts_per_admin: int = 1
    scale_page_turns: int = 6
    send_samples: int = 3
    bare_post_samples: int = 10
    phonebooks: int = 10_000
    contacts_per_book: int = 10
    pace: float = 0.06  # latency runs: at most ~16 updates/s
    step_timeout: float = 30.0
    flood_strangers: int = 600
    flood_rounds: int = 5
    flood_idle_samples: int = 15


LATENCY_STEPS = ("sender", "page turn", "text", "time", "review")
ADMIN_BASE = 7001
KEY = "sandbox-key"


@dataclass
class Results:
    startup: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # name -> step -> [(first answer, render)]
    latency: dict[str, dict[str, list[tuple[float, float]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    throughput: dict[str, float] = field(default_factory=dict)
    cpu_per_update: dict[str, float] = field(default_factory=dict)
    vmhwm_kb: dict[str, int] = field(default_factory=dict)
    updates: dict[str, int] = field(default_factory=dict)
    send_path: list[float] = field(default_factory=list)
    bare_post: list[float] = field(default_factory=list)
    scale: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))
    # an admin's /help: "idle" and "burst" (behind a burst of stranger messages)
    flood: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    taps: TapCounts | None = None


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


async def echo_round(d: Driver, count: int, samples: list | None = None) -> None:
    for i in range(count):
        await d.act(
            lambda i=i: d.user.send(f"پیام آزمایشی {d.chat} شماره {i}"),
            lambda n0: d.renders_since(n0) >= 1,
            samples,
        )


# ------------------------------------------------------------------ phases


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


async def throughput(
    name: str,
    proc: BotProcess,
    drivers: list[Driver],
    work: Callable[[Driver], Awaitable[None]],
    res: Results,
) -> None:
    for d in drivers:
        d.updates = 0
    cpu0, t0 = proc.cpu_seconds(), time.monotonic()
    await asyncio.gather(*(work(d) for d in drivers))
    elapsed, cpu1 = time.monotonic() - t0, proc.cpu_seconds()
    total = sum(d.updates for d in drivers)
    res.updates[name] = total
    res.throughput[name] = total / elapsed
    res.cpu_per_update[name] = (cpu1 - cpu0) / total
    res.vmhwm_kb[name] = proc.status_kb("VmHWM")


async def run_echo(cfg: Config, res: Results, tmp: Path) -> None:
    fake = BenchFake()
    await fake.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url}
    proc = BotProcess("echo", python_argv("benchmarks.echo_bot"), env, tmp / "echo.log")
    try:
        await measure_startup(fake, proc, cfg.startup_runs, res.startup["echo"])
        one = Driver(fake, fake.user(ADMIN_BASE), cfg.pace, cfg.step_timeout)
        await echo_round(one, 3)  # warm-up
        await echo_round(one, cfg.echo_latency_samples, res.latency["echo"]["reply"])
        drivers = [
            Driver(fake, fake.user(ADMIN_BASE + i), 0.0, cfg.step_timeout) for i in range(cfg.users)
        ]
        per_user = 10 * cfg.drafts_per_admin  # the bot's updates per draft
        await throughput("echo", proc, drivers, lambda d: echo_round(d, per_user), res)
    finally:
        await proc.stop()
        await fake.stop()


async def run_bot(cfg: Config, res: Results, tmp: Path, sandbox: RunningSandbox) -> None:
    fake = BenchFake()
    await fake.start()
    admins = [ADMIN_BASE + i for i in range(cfg.users)]
    data_dir = tmp / "bot-data"
    data_dir.mkdir()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "ADMIN_IDS": ",".join(map(str, admins)),
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "IPPANEL_BASE_URL": sandbox.base_url,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": Fernet.generate_key().decode(),
        "LOG_LEVEL": "WARNING",
    }
    proc = BotProcess("bot", python_argv("bot"), env, tmp / "bot.log")
    try:
        await measure_startup(fake, proc, cfg.startup_runs, res.startup["bot"])
        drivers = [Driver(fake, fake.user(a), 0.0, cfg.step_timeout) for a in admins]
        await asyncio.gather(*(set_key(d) for d in drivers))

        # 1b. tap count: /send to submitted, counted on the running bot
        res.taps = await count_taps(fake, drivers[-1], drivers[-2])

        # 2. per-step latency, one admin, paced
        one = Driver(fake, drivers[0].user, cfg.pace, cfg.step_timeout)
        await bot_draft(one, "گرم کردن")  # warm-up
        for i in range(cfg.bot_latency_drafts):
            await bot_draft(one, f"تخفیف ویژه شماره {i}", res.latency["bot"])

        # 7. scale: pickers over 10,000 phonebooks, sandbox calls per page view
        await scale_phase(cfg, res, fake, sandbox, one)

        # 3-5. throughput, CPU per update, peak memory
        fast = [Driver(fake, d.user, 0.0, cfg.step_timeout) for d in drivers]

        async def drafts(d: Driver) -> None:
            for k in range(cfg.drafts_per_admin):
                await bot_draft(d, f"پیام مدیر {d.chat} شماره {k}")

        await throughput("bot", proc, fast, drafts, res)

        # 6. send path: approve press -> POST at the sandbox, against a bare POST
        # (last: after a submitted request, /send reopens that draft at its text step)
        await send_path_phase(cfg, res, fake, sandbox, drivers[2:], drivers[1])
    finally:
        await proc.stop()
        await fake.stop()


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


# ------------------------------------------------------------------ report


def _ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def table(cfg: Config, res: Results) -> tuple[str, bool]:
    rows: list[tuple[str, str, str, str, str, str]] = []
    ok_all = True

    def row(metric: str, echo: str, bot: str, ratio: float | None, target: str, ok: bool | None):
        nonlocal ok_all
        if ok is False:
            ok_all = False
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        rows.append((metric, echo, bot, "" if ratio is None else f"{ratio:.2f}x", target, verdict))

    se, sb = median(res.startup["echo"]), median(res.startup["bot"])
    row("start-up to first getUpdates (median)", _ms(se), _ms(sb), sb / se, "<= 2x", sb <= 2 * se)
    echo = res.latency["echo"]["reply"]
    e50 = pct([a for a, _ in echo], 50)
    e95 = pct([a for a, _ in echo], 95)
    row("latency: echo reply p50 / p95", f"{_ms(e50)} / {_ms(e95)}", "", None, "", None)
    for step in ("/send", *LATENCY_STEPS, "book toggle", "books done", "save"):
        samples = res.latency["bot"].get(step) or []
        if not samples:
            continue
        first = [a for a, _ in samples]
        render = [b for _, b in samples]
        p50, p95 = pct(first, 50), pct(first, 95)
        graded = step in LATENCY_STEPS
        row(
            f"latency: {step} p50/p95 (render p50) n={len(samples)}",
            _ms(e50),
            f"{_ms(p50)} / {_ms(p95)} ({_ms(pct(render, 50))})",
            p50 / e50,
            "p50 <= 1.5x" if graded else "(info)",
            p50 <= 1.5 * e50 if graded else None,
        )
    te, tb = res.throughput["echo"], res.throughput["bot"]
    row(
        f"throughput, {cfg.users} users (updates/s)",
        f"{te:.1f} ({res.updates['echo']})",
        f"{tb:.1f} ({res.updates['bot']})",
        tb / te,
        ">= 0.9x",
        tb >= 0.9 * te,
    )
    ce, cb = res.cpu_per_update["echo"], res.cpu_per_update["bot"]
    row("CPU time per update", _ms(ce), _ms(cb), cb / ce, "<= 2x", cb <= 2 * ce)
    me, mb = res.vmhwm_kb["echo"], res.vmhwm_kb["bot"]
    row(
        "peak RSS VmHWM after throughput",
        f"{me / 1024:.1f} MiB",
        f"{mb / 1024:.1f} MiB",
        mb / me,
        "<= 1.5x",
        mb <= 1.5 * me,
    )
    bare, path = pct(res.bare_post, 50), pct(res.send_path, 50)
    row(
        f"send path p50: approve -> POST (n={len(res.send_path)})",
        f"bare POST {_ms(bare)}",
        f"{_ms(path)} (max {_ms(max(res.send_path))})",
        None,
        "<= +10 ms",
        path - bare <= 0.010,
    )
    for name in (
        "phonebooks: first page",
        "phonebooks: page turn",
        "contacts: first page",
        "contacts: page turn",
    ):
        views = res.scale.get(name) or []
        lat = [a for a, _ in views]
        calls = [c for _, c in views]
        row(
            f"scale {cfg.phonebooks:,} books: {name} p50 (n={len(views)})",
            "",
            f"{_ms(pct(lat, 50))}, calls/view {calls}",
            None,
            "1 call/view",
            bool(calls) and all(c == 1 for c in calls),
        )
    if res.taps is not None:
        for metric, value, _, target, ok in tap_rows(res.taps):
            row(metric, "", value, None, target, ok)
    if res.flood["burst"]:
        metric, idle, burst, ratio, target, ok = flood_row(cfg, res)
        row(metric, idle, burst, ratio, target, ok)
    headers = ("metric", "echo bot", "this bot", "ratio", "target", "")
    widths = [max(len(r[i]) for r in (*rows, headers)) for i in range(6)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    if res.taps is not None:
        lines += ["", *(f"{metric}: {detail}" for metric, _, detail, _, _ in tap_rows(res.taps))]
    return "\n".join(lines), ok_all


async def run_flood(cfg: Config, res: Results, tmp: Path, sandbox: RunningSandbox) -> None:
    """An admin's /help latency idle, and right behind a burst of stranger messages
    (each round's strangers are new, so each gets the bot's first-contact handling)."""
    fake = BenchFake()
    await fake.start()
    data_dir = tmp / "flood-data"
    data_dir.mkdir()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "ADMIN_IDS": f"{ADMIN_BASE},{ADMIN_BASE + 1}",
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "IPPANEL_BASE_URL": sandbox.base_url,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": Fernet.generate_key().decode(),
        "LOG_LEVEL": "WARNING",
    }
    proc = BotProcess("flood", python_argv("bot"), env, tmp / "flood.log")
    try:
        await measure_startup(fake, proc, 1, [])
        admin = Driver(fake, fake.user(ADMIN_BASE), 0.0, cfg.step_timeout)

        async def help_once(out: list[float] | None) -> None:
            samples: list[tuple[float, float]] = []
            await admin.act(lambda: admin.user.send("/help"), admin.rendered(), samples)
            if out is not None:
                out.append(samples[0][0])

        for _ in range(3):
            await help_once(None)  # warm-up
        for _ in range(cfg.flood_idle_samples):
            await help_once(res.flood["idle"])
            await asyncio.sleep(0.05)
        for r in range(cfg.flood_rounds):
            base = 10_000_000 + 2 * r * cfg.flood_strangers

            async def burst(base: int = base) -> None:
                # a flood at ~600 messages/s: 20 strangers every 33 ms
                for i in range(0, cfg.flood_strangers, 20):
                    for j in range(i, min(i + 20, cfg.flood_strangers)):
                        await fake.user(base + j).send("سلام")
                    await asyncio.sleep(0.033)

            flooding = asyncio.create_task(burst())
            await asyncio.sleep(0.4)
            await help_once(res.flood["burst"])  # in the middle of the flood
            await flooding
            await asyncio.sleep(0.5)
            # worst case: the admin's update is queued behind a whole burst at once
            for i in range(cfg.flood_strangers):
                await fake.user(base + cfg.flood_strangers + i).send("سلام")
            await help_once(res.flood["behind"])
            await asyncio.sleep(1.0)
    finally:
        await proc.stop()
        await fake.stop()


def flood_row(cfg: Config, res: Results) -> tuple[str, str, str, float, str, bool]:
    idle, burst = pct(res.flood["idle"], 50), pct(res.flood["burst"], 50)
    behind = pct(res.flood["behind"], 50)
    return (
        f"admin /help p50 during a {cfg.flood_strangers}-stranger burst "
        f"(n={len(res.flood['burst'])}) vs idle (n={len(res.flood['idle'])})",
        f"idle {_ms(idle)}",
        f"{_ms(burst)} (max {_ms(max(res.flood['burst']))}; "
        f"queued behind all {cfg.flood_strangers}: {_ms(behind)})",
        burst / idle,
        "p50 <= 2x",
        burst <= 2 * idle,
    )


async def main_flood(cfg: Config | None = None) -> tuple[Results, str, bool]:
    """Only the stranger-flood benchmark (``python -m benchmarks flood``)."""
    cfg = cfg or Config()
    res = Results()
    with tempfile.TemporaryDirectory(prefix="bench-") as raw:
        sandbox = await start_sandbox(SandboxState(phonebooks=12))
        try:
            await run_flood(cfg, res, Path(raw), sandbox)
        finally:
            await sandbox.stop()
    metric, idle, burst, ratio, target, ok = flood_row(cfg, res)
    text = f"{metric} | {idle} | {burst} | {ratio:.2f}x | {target} | {'PASS' if ok else 'MISS'}"
    return res, text, ok


async def main(cfg: Config | None = None) -> tuple[Results, str, bool]:
    cfg = cfg or Config()
    res = Results()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as raw:
        tmp = Path(raw)
        await run_echo(cfg, res, tmp)
        sandbox = await start_sandbox(
            SandboxState(phonebooks=cfg.phonebooks, contacts_per_book=cfg.contacts_per_book)
        )
        try:
            await run_bot(cfg, res, tmp, sandbox)
            await run_flood(cfg, res, tmp, sandbox)
        except BaseException:
            log = tmp / "bot.log"
            if log.exists():
                print(log.read_text()[-4000:])
            raise
        finally:
            await sandbox.stop()
    text, ok = table(cfg, res)
    return res, text + f"\n(total benchmark time {time.monotonic() - started:.0f} s)", ok


async def main_taps() -> tuple[Results, str, bool]:
    """Only the tap count (``python -m benchmarks taps``): three admins, a few seconds."""
    res = Results()
    with tempfile.TemporaryDirectory(prefix="bench-") as raw:
        tmp = Path(raw)
        sandbox = await start_sandbox(SandboxState(phonebooks=12))
        fake = BenchFake()
        await fake.start()
        admins = [ADMIN_BASE + i for i in range(3)]
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "ADMIN_IDS": ",".join(map(str, admins)),
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "IPPANEL_BASE_URL": sandbox.base_url,
            "DATA_DIR": str(tmp),
            "SECRET_KEY": Fernet.generate_key().decode(),
            "LOG_LEVEL": "WARNING",
        }
        proc = BotProcess("bot", python_argv("bot"), env, tmp / "bot.log")
        try:
            await measure_startup(fake, proc, 1, [])
            drivers = [Driver(fake, fake.user(a), 0.0, 30.0) for a in admins]
            for d in drivers:
                await set_key(d)
            res.taps = await count_taps(fake, drivers[0], drivers[1])
        finally:
            await proc.stop()
            await fake.stop()
            await sandbox.stop()
    rows = tap_rows(res.taps)
    text = "\n".join(
        f"{metric} | {value} | {target} | {'PASS' if ok else 'MISS'}\n  {detail}"
        for metric, value, detail, target, ok in rows
    )
    return res, text, all(ok for *_, ok in rows)
