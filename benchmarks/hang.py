"""Nobody waits for somebody else (``python -m benchmarks hang``): another admin's /help and
Approve while one admin's provider call hangs for 30 s, against the same with nothing hanging.

One real ``python -m bot`` process. Admin "hanger" opens /send while the sandbox holds the
sender-line list for HANG seconds (timeouts raised so that the hang lasts its full length);
meanwhile admin "other" asks /help and approves requests other admins submitted before. The
/help latency is the first answer after the update was queued; Approve is the press to the
POST reaching the sandbox (as the send-path line measures it).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.core import BenchFake, BotProcess, pct, python_argv
from benchmarks.driver import Driver
from benchmarks.model import ADMIN_BASE, Config, Results
from benchmarks.steps import bot_draft, bot_env, measure_startup, set_key
from sandbox import RunningSandbox, SandboxState, start_sandbox

HANG = 30.0  # seconds the hanging admin's provider call takes
NUMBERS = "/api/number/numbers"


async def run_hang(cfg: Config, res: Results, tmp: Path, sandbox: RunningSandbox) -> None:
    fake = BenchFake()
    await fake.start()
    n = cfg.hang_approvals
    hanger_id, other_id = ADMIN_BASE, ADMIN_BASE + 1
    requester_ids = [ADMIN_BASE + 2 + i for i in range(2 * n)]  # one request each
    data_dir = tmp / "hang-data"
    data_dir.mkdir()
    env = bot_env(fake, sandbox.base_url, [hanger_id, other_id, *requester_ids], data_dir)
    # the hang must last its whole length: neither timeout may cut it short. One approver:
    # with every admin an approver each approval edits a card in every chat, and those
    # edits, not the hang, would fill the Bot API rate limit (30 calls/s) both phases share
    env |= {
        "IPPANEL_READ_TIMEOUT": str(2 * HANG),
        "IPPANEL_DEADLINE_SECONDS": str(2 * HANG),
        "APPROVER_IDS": str(other_id),
    }
    proc = BotProcess("hang", python_argv("bot"), env, tmp / "hang.log")
    try:
        await measure_startup(fake, proc, 1, [])
        hanger, other = (Driver(fake, fake.user(u), 0.0, 3 * HANG) for u in (hanger_id, other_id))
        requesters = [Driver(fake, fake.user(u), 0.0, cfg.step_timeout) for u in requester_ids]
        await asyncio.gather(*(set_key(d) for d in (hanger, other, *requesters)))
        # the requests "other" approves, all submitted before anything is measured
        cards = []
        for i, r in enumerate(requesters):
            mark = other.mark()
            await bot_draft(r, f"درخواست شماره {i}", finish="submit")
            await fake.wait_chat(
                other.chat, lambda m=mark: fake.find(other.chat, "درخواست ارسال", m) is not None
            )
            cards.append(fake.find(other.chat, "درخواست ارسال", mark))
        await fake.idle(quiet=0.5, timeout=cfg.step_timeout)

        for _ in range(3):
            await _help(other, None)  # warm-up
        for _ in range(cfg.hang_help_samples):
            await _help(other, res.hang["help idle"])
        for card in cards[:n]:
            await _approve(fake, sandbox, other, card, res.hang["approve idle"])

        sandbox.state.fail_next(NUMBERS, "hang", delay=HANG)
        asked = len(sandbox.state.requests_to(NUMBERS))
        hung_at = time.monotonic()
        await hanger.user.send("/send")
        await _until(lambda: len(sandbox.state.requests_to(NUMBERS)) > asked, cfg.step_timeout)
        # the same steps in the same order as idle
        for _ in range(cfg.hang_help_samples):
            await _help(other, res.hang["help hang"])
        for card in cards[n:]:
            await _approve(fake, sandbox, other, card, res.hang["approve hang"])
        res.hang_within = time.monotonic() - hung_at < HANG  # all measured inside the hang
        await fake.wait_chat(
            hanger.chat, lambda: fake.find(hanger.chat, "IPPanel") is not None, 3 * HANG
        )
        # idle again after the hang, so that a machine getting busier or quieter during the
        # run weighs on both sides alike
        for _ in range(cfg.hang_help_samples):
            await _help(other, res.hang["help idle"])
    finally:
        await proc.stop()
        await fake.stop()


async def _help(d: Driver, out: list[float] | None) -> None:
    await asyncio.sleep(0.05)  # one admin's pace, not a burst
    samples: list[tuple[float, float]] = []
    await d.act(lambda: d.user.send("/help"), d.rendered(), samples)
    if out is not None:
        out.append(samples[0][0])


async def _approve(fake: BenchFake, sandbox: RunningSandbox, d: Driver, card, out: list) -> None:
    posts = sandbox.state.send_posts
    await fake.idle(quiet=0.3, timeout=d.timeout)  # the last approval's messages are out
    before, mark = len(posts), d.mark()
    await d.user.press(card, "تأیید")
    _, wall = fake.last_enqueue[d.chat]
    await _until(lambda: len(posts) > before, d.timeout)
    out.append(posts[before].time.timestamp() - wall)
    await fake.wait_chat(d.chat, lambda: fake.find(d.chat, "انجام شد", mark) is not None)


async def _until(condition: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
    """Poll every millisecond: a sandbox request has no event to wait on, and the time it
    arrives is the measurement."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the sandbox never got the request")
        await asyncio.sleep(0.001)


def hang_rows(res: Results) -> list[tuple[str, str, str, float, str, bool]]:
    """(metric, idle, during the hang, ratio, target, ok) for /help and Approve."""
    rows = []
    for what, label in (("help", "/help first answer"), ("approve", "Approve -> POST")):
        idle, hung = res.hang[f"{what} idle"], res.hang[f"{what} hang"]
        p_idle, p_hung = pct(idle, 50), pct(hung, 50)
        ok = p_hung <= 2 * p_idle and res.hang_within
        rows.append(
            (
                f"another admin's {label} p50 while one admin's provider call hangs "
                f"{HANG:.0f} s (n={len(hung)}) vs idle (n={len(idle)})",
                f"idle {p_idle * 1000:.1f} ms",
                f"{p_hung * 1000:.1f} ms (max {max(hung) * 1000:.1f} ms)",
                p_hung / p_idle,
                "p50 <= 2x",
                ok,
            )
        )
    return rows


async def main_hang(cfg: Config | None = None) -> tuple[Results, str, bool]:
    """Only this line (``python -m benchmarks hang``)."""
    cfg = cfg or Config()
    res = Results()
    with tempfile.TemporaryDirectory(prefix="bench-") as raw:
        sandbox = await start_sandbox(SandboxState(phonebooks=12))
        try:
            await run_hang(cfg, res, Path(raw), sandbox)
        finally:
            await sandbox.stop()
    rows = hang_rows(res)
    text = "\n".join(
        f"{metric} | {idle} | {hung} | {ratio:.2f}x | {target} | {'PASS' if ok else 'MISS'}"
        for metric, idle, hung, ratio, target, ok in rows
    )
    return res, text, all(row[-1] for row in rows)
