"""The echo and bot scenarios and the entry points (``python -m benchmarks``, ``... taps``).

Everything runs on loopback: the fake Telegram Bot API and the IPPanel sandbox live in this
process; each bot runs as its own subprocess (``python -m benchmarks.echo_bot``, then
``python -m bot``) so that start-up, CPU time and peak memory are the bot's alone.

The echo and the bot run side by side for start-up, the step latencies and the load rounds,
their samples taken in turn (the machine's speed drifts during a run); while one is
measured the other idles.

The rest lives next door: knobs and results in :mod:`benchmarks.model`, what a user does in
:mod:`benchmarks.steps`, the scale and send-path phases in :mod:`benchmarks.phases`, the
stranger flood in :mod:`benchmarks.flood`, the table in :mod:`benchmarks.report`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.core import BenchFake, BotProcess, python_argv
from benchmarks.driver import Driver
from benchmarks.flood import run_flood
from benchmarks.hang import run_hang
from benchmarks.model import ADMIN_BASE, Config, Results
from benchmarks.phases import scale_phase, send_path_phase
from benchmarks.report import table
from benchmarks.steps import (
    bot_draft,
    bot_env,
    echo_draft,
    echo_round,
    measure_startup,
    set_key,
)
from benchmarks.taps import count_taps, tap_rows
from sandbox import RunningSandbox, SandboxState, start_sandbox


async def throughput(
    name: str,
    proc: BotProcess,
    drivers: list[Driver],
    work: Callable[[Driver], Awaitable[None]],
    res: Results,
) -> None:
    """One round of load; the figures are over every round of ``name`` so far."""
    for d in drivers:
        d.updates = 0
    cpu0, t0 = proc.cpu_seconds(), time.monotonic()
    await asyncio.gather(*(work(d) for d in drivers))
    elapsed, cpu = time.monotonic() - t0, proc.cpu_seconds() - cpu0
    total = sum(d.updates for d in drivers)
    res.cpu_rounds[name].append(cpu / total)
    res.updates[name] += total
    res.load_cpu[name] += cpu
    res.load_time[name] += elapsed
    res.throughput[name] = res.updates[name] / res.load_time[name]
    res.cpu_per_update[name] = res.load_cpu[name] / res.updates[name]
    res.vmhwm_all_kb[name] = proc.status_kb("VmHWM")
    res.vmhwm_kb.setdefault(name, res.vmhwm_all_kb[name])


STARTUP_SETTLE = 1.5  # s: longer than the bot's work after its first getUpdates


@dataclass
class Side:
    """A benchmarked bot: its own fake Bot API and its process."""

    fake: BenchFake
    proc: BotProcess
    closed: bool = False

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.proc.stop()
            await self.fake.stop()


async def start_echo(tmp: Path) -> Side:
    fake = BenchFake()
    await fake.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url}
    return Side(fake, BotProcess("echo", python_argv("benchmarks.echo_bot"), env, tmp / "echo.log"))


async def start_bot(cfg: Config, tmp: Path, sandbox: RunningSandbox) -> tuple[Side, list[int]]:
    fake = BenchFake()
    await fake.start()
    # cfg.users admins for each load round (a draft left open would change the next
    # round's updates: /send would offer it first), and two more only count taps: after
    # their sends /send offers them "same as last time" first
    admins = [ADMIN_BASE + i for i in range(cfg.users * cfg.load_rounds + 2)]
    data_dir = tmp / "bot-data"
    data_dir.mkdir()
    # the approvers are the first round's admins and the two others, as many as when there
    # was one round: each request's cards go to them all
    approvers = admins[: cfg.users] + admins[-2:]
    env = bot_env(fake, sandbox.base_url, admins, data_dir, approvers)
    return Side(fake, BotProcess("bot", python_argv("bot"), env, tmp / "bot.log")), admins


async def startups(cfg: Config, res: Results, echo: Side, bot: Side) -> None:
    """Start-up of each, in turn (echo, bot, echo, ...): a machine that slows down or
    speeds up during the run moves both alike. The last ones are left running."""
    for _ in range(cfg.startup_runs):
        for name, side in (("echo", echo), ("bot", bot)):
            if side.proc.alive():
                await side.proc.stop()
            # the other one's start-up has settled (the bot collects its garbage after
            # its first getUpdates) and this one's exit is written back
            await asyncio.sleep(STARTUP_SETTLE)
            await measure_startup(side.fake, side.proc, 1, res.startup[name])


async def latency(cfg: Config, res: Results, echo: Driver, bot: Driver) -> None:
    """Each step's latency, one admin, paced; the echo's and the bot's samples taken in
    turn, a round of each at a time, for the same reason as :func:`startups` (the echo's
    own press moved 1.9-3.5 ms between quiet runs made one after the other)."""
    await echo_round(echo, 3)  # warm-up
    await echo_draft(echo)
    await bot_draft(bot, "گرم کردن")
    rounds = cfg.bot_latency_drafts
    replies = -(-cfg.echo_latency_samples // rounds)  # ceil: at least the samples asked for
    for i in range(rounds):
        await echo_round(echo, replies, res.latency["echo"]["reply"])
        if i < cfg.echo_latency_drafts:  # presses, and a few more texts
            await echo_draft(echo, res.latency["echo"])
        await bot_draft(bot, f"تخفیف ویژه شماره {i}", res.latency["bot"])


async def loads(
    cfg: Config, res: Results, echo: Side, bot: Side, bot_drivers: list[Driver]
) -> None:
    """Throughput, CPU per update and peak memory: a round of the echo's load, then one of
    the bot's, ``cfg.load_rounds`` times; the other one idles meanwhile. Each round of the
    bot has admins of its own (``cfg.users`` of ``bot_drivers`` each), each making a draft:
    the same updates every round."""
    echo_drivers = [
        Driver(echo.fake, echo.fake.user(ADMIN_BASE + i), 0.0, cfg.step_timeout)
        for i in range(cfg.users)
    ]
    per_user = 10 * cfg.drafts_per_admin  # the bot's updates per draft
    # the old baseline, texts only (info): one Bot API call per update
    await throughput("echo text", echo.proc, echo_drivers, lambda d: echo_round(d, per_user), res)

    async def echo_drafts(d: Driver) -> None:
        for _ in range(cfg.drafts_per_admin):
            await echo_draft(d)

    def bot_drafts(round_no: int) -> Callable[[Driver], Awaitable[None]]:
        async def drafts(d: Driver) -> None:
            for k in range(cfg.drafts_per_admin):
                await bot_draft(d, f"پیام مدیر {d.chat} شماره {round_no}.{k}")

        return drafts

    for round_no in range(cfg.load_rounds):
        # the baseline: the bot's kinds of update, so the same Bot API calls per update
        await throughput("echo", echo.proc, echo_drivers, echo_drafts, res)
        mine = bot_drivers[round_no * cfg.users : (round_no + 1) * cfg.users]
        if round_no:  # the first round's keys were stored with the others' at the start
            await asyncio.gather(*(set_key(d) for d in mine))
            await bot.fake.idle(quiet=0.5, timeout=cfg.step_timeout)  # their writes done
        await throughput("bot", bot.proc, mine, bot_drafts(round_no), res)


async def run_plain_echo(cfg: Config, res: Results, tmp: Path) -> None:
    """Start-up and peak memory of the echo bot with only the rate-limiter extra (info)."""
    fake = BenchFake()
    await fake.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url}
    proc = BotProcess("plain", python_argv("benchmarks.plain_echo"), env, tmp / "plain.log")
    try:
        await measure_startup(fake, proc, cfg.startup_runs, res.startup["plain"])
        drivers = [
            Driver(fake, fake.user(ADMIN_BASE + i), 0.0, cfg.step_timeout) for i in range(cfg.users)
        ]

        async def drafts(d: Driver) -> None:
            for _ in range(cfg.drafts_per_admin):
                await echo_draft(d)

        await throughput("plain", proc, drivers, drafts, res)
    finally:
        await proc.stop()
        await fake.stop()


async def run_side_by_side(cfg: Config, res: Results, tmp: Path, sandbox: RunningSandbox) -> None:
    """The echo and the bot, both running: start-ups, step latencies and load rounds in
    turn; then the plain echo alone, and the bot's send path."""
    async with contextlib.AsyncExitStack() as stack:
        echo = await start_echo(tmp)
        stack.push_async_callback(echo.close)
        bot, admins = await start_bot(cfg, tmp, sandbox)
        stack.push_async_callback(bot.close)
        await startups(cfg, res, echo, bot)
        fake = bot.fake
        drivers = [Driver(fake, fake.user(a), 0.0, cfg.step_timeout) for a in admins]
        # the first load round's admins and the two that count taps; each later round's
        # admins store theirs just before it, so the first round's peak memory is that of
        # 52 admins, as before there were rounds
        await asyncio.gather(*(set_key(d) for d in drivers[: cfg.users] + drivers[-2:]))
        # 1b. tap count: /send to submitted, counted on the running bot
        res.taps = await count_taps(fake, drivers[-2], drivers[-1])
        # 2. per-step latency, one admin each, paced
        one_echo = Driver(echo.fake, echo.fake.user(ADMIN_BASE), cfg.pace, cfg.step_timeout)
        one = Driver(fake, drivers[0].user, cfg.pace, cfg.step_timeout)
        await latency(cfg, res, one_echo, one)
        # 7. scale: pickers over 10,000 phonebooks, sandbox calls per page view
        await scale_phase(cfg, res, fake, sandbox, one)
        # 3-5. throughput, CPU per update, peak memory
        await loads(cfg, res, echo, bot, drivers)
        await echo.close()
        await run_plain_echo(cfg, res, tmp)
        # 6. send path: approve press -> POST at the sandbox, against a bare POST
        # (last: after a submitted request, /send reopens that draft at its text step)
        await send_path_phase(cfg, res, fake, sandbox, drivers[2 : cfg.users], drivers[1])


async def main(cfg: Config | None = None) -> tuple[Results, str, bool]:
    cfg = cfg or Config()
    res = Results()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as raw:
        tmp = Path(raw)
        sandbox = await start_sandbox(
            SandboxState(phonebooks=cfg.phonebooks, contacts_per_book=cfg.contacts_per_book)
        )
        try:
            await run_side_by_side(cfg, res, tmp, sandbox)
            await run_flood(cfg, res, tmp, sandbox)
            await run_hang(cfg, res, tmp, sandbox)
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
        env = bot_env(fake, sandbox.base_url, admins, tmp)
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
