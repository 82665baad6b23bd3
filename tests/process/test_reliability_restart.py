"""Reliability (issue #7, part 2): restarts in the middle of every compose step, and a
crash between writing the broadcast row and the POST (in process and with SIGKILL)."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.domain import BroadcastState, RequestState, Step
from sandbox import SandboxState, start_sandbox
from tests.fakes import FakeTelegram
from tests.fakes.telegram_api import FakeUser
from tests.harness import (
    World,
    bot_world,
    compose_to_review,
    count_rows,
    fa_prefix,
    process_env,
    restart,
    set_key,
    start_all,
    submit_request,
    until_text,
)

TEXT = "سلام، جشنواره پاییزه از فردا"
INTERRUPTED = fa_prefix("send_interrupted")


async def _open(w: World, u: FakeUser) -> None:
    await u.send("/send")
    await until_text(w, u, "خط ارسال")


async def _sender(w: World, u: FakeUser) -> None:
    menu = u.last()
    assert "خط ارسال" in menu.text
    await u.press(menu, menu.buttons[0][0][0], exact=True)
    await until_text(w, u, "دفترچه‌های تلفن")


async def _books(w: World, u: FakeUser) -> None:
    menu = u.last()
    assert "دفترچه‌های تلفن" in menu.text
    await u.press(menu, menu.buttons[0][0][0], exact=True)
    await w.until(lambda: "✓" in u.last().buttons[0][0][0])
    await u.press(u.last(), "ادامه: متن پیام ◀️", exact=True)
    await until_text(w, u, "متن پیام")


async def _text(w: World, u: FakeUser) -> None:
    await u.send(TEXT)
    preview = await until_text(w, u, "پیش‌نمایش پیامک")
    await u.press(preview, "زمان ارسال")
    await until_text(w, u, "زمان ارسال")


async def _time(w: World, u: FakeUser) -> None:
    await u.press(u.last(), "همین حالا")
    await until_text(w, u, "بازبینی")


async def _review(w: World, u: FakeUser) -> None:
    review = u.last()
    assert "بازبینی" in review.text and TEXT in review.text
    await u.press(review, "ارسال برای تأیید")
    await until_text(w, u, "برای تأیید فرستاده شد")


STEPS = [_open, _sender, _books, _text, _time, _review]


@pytest.mark.parametrize(
    ("done", "step"),
    [(1, Step.SENDER), (2, Step.PHONEBOOKS), (3, Step.TEXT), (4, Step.TIME), (5, Step.REVIEW)],
)
async def test_restart_mid_conversation_continues_from_the_same_step(
    tmp_path: Path, done: int, step: Step
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        for action in STEPS[:done]:
            await action(w, alice)
        await w.settle()
        before = await w.store.list_drafts(alice.user_id)
        assert len(before) == 1 and before[0].step == step

        await restart(w)

        after = await w.store.list_drafts(alice.user_id)
        assert [(d.id, d.sender, d.selections, d.text, d.step) for d in after] == [
            (d.id, d.sender, d.selections, d.text, d.step) for d in before
        ]
        for action in STEPS[done:]:  # the live menu / the next input, right where we left
            await action(w, alice)
        card = await until_text(w, bob, "درخواست ارسال")
        assert TEXT in card.text
        drafts = await w.store.list_drafts(alice.user_id)
        assert len(drafts) == 1 and drafts[0].text == TEXT and drafts[0].selections
        assert len(await w.store.list_pending_requests()) == 1
        assert w.sends == 0
        await alice.send("/help")
        await until_text(w, alice, "نقش شما", after=card.message_id)


async def test_crash_between_row_and_post_becomes_unknown_and_is_never_sent(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        request, cards = await submit_request(w, alice, (bob, carol), text=TEXT)
        # what a SIGKILL between "row written" and "POST made" leaves behind
        assert await w.store.decide_request(
            request.id, to_state=RequestState.APPROVED, decided_by=bob.user_id
        )
        row = await w.store.start_broadcast(
            request_id=request.id,
            requester_id=alice.user_id,
            approver_id=bob.user_id,
            snapshot=request.snapshot,
        )
        assert row is not None and row.state == BroadcastState.SENDING
        await w.settle()

        await restart(w)

        told_alice = await until_text(w, alice, INTERRUPTED)
        told_bob = await until_text(w, bob, INTERRUPTED)
        assert any("بررسی وضعیت" in b for b in told_alice.button_texts)
        assert told_bob.text
        await w.settle()
        assert w.sends == 0
        b = await w.store.get_broadcast(row.id)
        assert b.state == BroadcastState.UNKNOWN and b.error == "interrupted"
        assert count_rows(w, "broadcasts") == 1
        # a late press on the old card cannot send it again
        query = await carol.press_data(cards[carol.user_id].message_id, f"ap:{request.id}")
        assert fa_prefix("decision_already") in (await carol.answer_of(query)).text
        # nor does a second restart notify twice or send
        await restart(w)
        await w.settle()
        assert len([m for m in alice.messages() if INTERRUPTED in m.text]) == 1
        assert w.sends == 0


class _ProcWorld:
    """Just enough of World for the harness's user steps, with the bot in a subprocess."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def until(self, predicate, timeout: float = 8.0) -> None:  # noqa: ASYNC109
        await self.fake.wait_until(lambda: bool(predicate()), timeout=timeout)


async def _spawn(env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("a") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=log_path.parent, stdout=log, stderr=log
        )


async def test_sigkill_right_after_approval_never_sends_twice(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    sandbox = await start_sandbox(SandboxState())
    env = process_env(
        fake,
        tmp_path,
        ADMIN_IDS="1001,1002",
        IPPANEL_BASE_URL=sandbox.base_url,
        IPPANEL_READ_TIMEOUT="60",
        LOG_LEVEL="INFO",
    )
    log_path = tmp_path / "bot.log"
    w = _ProcWorld(fake)
    proc = await _spawn(env, log_path)
    try:
        alice, bob = fake.user(1001), fake.user(1002)
        await fake.wait_until(lambda: fake.polling, timeout=30)
        await start_all(w, bob)  # type: ignore[arg-type]
        await set_key(w, alice)  # type: ignore[arg-type]
        review = await compose_to_review(w, alice, text=TEXT)  # type: ignore[arg-type]
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")  # type: ignore[arg-type]
        sandbox.state.fail_next("/api/send", "accept_then_hang", delay=60)
        await bob.press(card, "تأیید و ارسال")
        # the provider accepted the send; its answer never comes; the bot dies right now
        await fake.wait_until(lambda: sandbox.state.send_post_count == 1, timeout=15)
        proc.kill()
        assert await asyncio.wait_for(proc.wait(), timeout=10) == -signal.SIGKILL

        proc = await _spawn(env, log_path)
        await until_text(w, alice, INTERRUPTED, timeout=30)  # type: ignore[arg-type]
        await until_text(w, bob, INTERRUPTED, timeout=10)  # type: ignore[arg-type]
        await fake.idle(quiet=0.5, timeout=10)
        await alice.send("/help")
        await fake.wait_until(lambda: "نقش شما" in alice.last().text, timeout=10)
        assert sandbox.state.send_post_count == 1  # exactly one POST, ever
        assert len(sandbox.state.sends) == 1  # and the provider really took it once
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=15) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await sandbox.stop()
        await fake.stop()
    db = sqlite3.connect(tmp_path / "bot.sqlite3")
    rows = db.execute("SELECT state, error FROM broadcasts").fetchall()
    assert rows == [("unknown", "interrupted")]
    assert "Traceback" not in log_path.read_text()


async def test_sigkill_right_after_a_step_leaves_the_newest_menu_live(tmp_path: Path) -> None:
    """PTB writes conversation states and user data on its persistence tick; the bot writes
    them after every step too, so a crash within that tick still leaves the menu on screen
    pressable, also when the step came after a pause (the tick had nothing left to write)."""
    fake = FakeTelegram()
    await fake.start()
    sandbox = await start_sandbox(SandboxState())
    env = process_env(fake, tmp_path, ADMIN_IDS="1001,1002", IPPANEL_BASE_URL=sandbox.base_url)
    log_path = tmp_path / "bot.log"
    w = _ProcWorld(fake)
    proc = await _spawn(env, log_path)

    async def crash_and_restart() -> asyncio.subprocess.Process:
        # 0.1 s after the menu appeared: well inside PTB's 1 s persistence tick
        await asyncio.sleep(0.1)
        proc.kill()
        assert await asyncio.wait_for(proc.wait(), timeout=10) == -signal.SIGKILL
        restarted = await _spawn(env, log_path)
        await fake.wait_until(lambda: fake.polling, timeout=30)
        return restarted

    try:
        alice = fake.user(1001)
        await fake.wait_until(lambda: fake.polling, timeout=30)
        await set_key(w, alice)  # type: ignore[arg-type]
        await alice.send("/send")
        menu = await until_text(w, alice, "خط ارسال")  # type: ignore[arg-type]
        await alice.press(menu, menu.buttons[0][0][0], exact=True)
        books = await until_text(w, alice, "دفترچه‌های تلفن")  # type: ignore[arg-type]
        proc = await crash_and_restart()

        await alice.press(books, books.buttons[0][0][0], exact=True)
        await fake.wait_until(lambda: "✓" in alice.last().buttons[0][0][0], timeout=10)
        await alice.press(alice.last(), "⚙️ بازه یا مخاطبان دلخواه", exact=True)
        options = await until_text(w, alice, "دفترچه‌های انتخاب‌شده")  # type: ignore[arg-type]
        proc = await crash_and_restart()

        await alice.press(options, "متن پیام")
        await until_text(w, alice, "متن پیام")  # type: ignore[arg-type]
        # a pause longer than PTB's tick: it has written everything, so only the bot's own
        # write after the step can save the new menu (a new message: its id is new)
        await asyncio.sleep(1.5)
        await alice.send(TEXT)
        preview = await until_text(w, alice, "پیش‌نمایش پیامک")  # type: ignore[arg-type]
        proc = await crash_and_restart()

        await alice.press(preview, "زمان ارسال")
        await until_text(w, alice, "زمان ارسال")  # type: ignore[arg-type]
        stale = fa_prefix("stale_menu")
        answers = [str(c.params.get("text", "")) for c in fake.calls_to("answerCallbackQuery")]
        assert answers and not [a for a in answers if stale in a]
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=15) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await sandbox.stop()
        await fake.stop()
    assert "Traceback" not in log_path.read_text()
