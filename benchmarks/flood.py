"""The stranger flood (``python -m benchmarks flood``): an admin's /help latency idle and
right behind a burst of stranger messages."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from benchmarks.core import BenchFake, BotProcess, python_argv
from benchmarks.driver import Driver
from benchmarks.model import ADMIN_BASE, Config, Results
from benchmarks.report import flood_row
from benchmarks.steps import bot_env, measure_startup
from sandbox import RunningSandbox, SandboxState, start_sandbox


async def run_flood(cfg: Config, res: Results, tmp: Path, sandbox: RunningSandbox) -> None:
    """An admin's /help latency idle, and right behind a burst of stranger messages
    (each round's strangers are new, so each gets the bot's first-contact handling)."""
    fake = BenchFake()
    await fake.start()
    data_dir = tmp / "flood-data"
    data_dir.mkdir()
    env = bot_env(fake, sandbox.base_url, [ADMIN_BASE, ADMIN_BASE + 1], data_dir)
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
