"""The echo and bot scenarios and the entry points (``python -m benchmarks``, ``... taps``).

Everything runs on loopback: the fake Telegram Bot API and the IPPanel sandbox live in this
process; each bot runs as its own subprocess (``python -m benchmarks.echo_bot``, then
``python -m bot``) so that start-up, CPU time and peak memory are the bot's alone.

The rest lives next door: knobs and results in :mod:`benchmarks.model`, what a user does in
:mod:`benchmarks.steps`, the scale and send-path phases in :mod:`benchmarks.phases`, the
stranger flood in :mod:`benchmarks.flood`, the table in :mod:`benchmarks.report`.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
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
        await echo_draft(one)
        await echo_round(one, cfg.echo_latency_samples, res.latency["echo"]["reply"])
        for _ in range(cfg.echo_latency_drafts):  # presses, and a few more texts
            await echo_draft(one, res.latency["echo"])
        drivers = [
            Driver(fake, fake.user(ADMIN_BASE + i), 0.0, cfg.step_timeout) for i in range(cfg.users)
        ]
        per_user = 10 * cfg.drafts_per_admin  # the bot's updates per draft
        # the old baseline, texts only (info): one Bot API call per update
        await throughput("echo text", proc, drivers, lambda d: echo_round(d, per_user), res)

        async def drafts(d: Driver) -> None:
            for _ in range(cfg.drafts_per_admin):
                await echo_draft(d)

        # the baseline: the bot's kinds of update, so the same Bot API calls per update
        await throughput("echo", proc, drivers, drafts, res)
    finally:
        await proc.stop()
        await fake.stop()


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


async def run_bot(cfg: Config, res: Results, tmp: Path, sandbox: RunningSandbox) -> None:
    fake = BenchFake()
    await fake.start()
    # two admins beyond cfg.users only count taps: after their sends /send offers them
    # "same as last time" first, so they cannot make the throughput drafts
    admins = [ADMIN_BASE + i for i in range(cfg.users + 2)]
    data_dir = tmp / "bot-data"
    data_dir.mkdir()
    env = bot_env(fake, sandbox.base_url, admins, data_dir)
    proc = BotProcess("bot", python_argv("bot"), env, tmp / "bot.log")
    try:
        await measure_startup(fake, proc, cfg.startup_runs, res.startup["bot"])
        drivers = [Driver(fake, fake.user(a), 0.0, cfg.step_timeout) for a in admins]
        await asyncio.gather(*(set_key(d) for d in drivers))
        drivers, tappers = drivers[: cfg.users], drivers[cfg.users :]

        # 1b. tap count: /send to submitted, counted on the running bot
        res.taps = await count_taps(fake, tappers[0], tappers[1])

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


async def main(cfg: Config | None = None) -> tuple[Results, str, bool]:
    cfg = cfg or Config()
    res = Results()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as raw:
        tmp = Path(raw)
        await run_echo(cfg, res, tmp)
        await run_plain_echo(cfg, res, tmp)
        sandbox = await start_sandbox(
            SandboxState(phonebooks=cfg.phonebooks, contacts_per_book=cfg.contacts_per_book)
        )
        try:
            await run_bot(cfg, res, tmp, sandbox)
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
