"""Reliability (issue #7, part 4): Telegram-side faults — flood limits, "not modified",
blocked approvers, and a broken getUpdates connection."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.harness import (
    bot_world,
    compose_to_review,
    fa_prefix,
    set_key,
    start_all,
    until_text,
)

ERROR_GENERIC = fa_prefix("error_generic")


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


async def test_flood_limit_429_is_retried_and_the_message_arrives(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        w.fake.fail_next("sendMessage", "429", retry_after=1)
        await alice.send("/help")
        await until_text(w, alice, "نقش شما", timeout=10)
        calls = w.fake.calls_to("sendMessage")
        assert [c.status for c in calls] == [429, 200]
        assert len(alice.messages()) == 1  # delivered once, not twice
    no_errors(caplog)


async def test_message_not_modified_is_not_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await alice.send("/send")
        menu = await until_text(w, alice, "خط ارسال")
        await alice.press(menu, menu.buttons[0][0][0], exact=True)
        books = await until_text(w, alice, "دفترچه‌های تلفن")
        w.fake.fail_next("editMessageText", "not_modified")
        await alice.press(books, books.buttons[0][0][0], exact=True)
        await w.settle()
        assert any("not modified" in (c.error or "") for c in w.fake.calls_to("editMessageText"))
        assert not any(ERROR_GENERIC in m.text for m in alice.messages())
        # the conversation goes on
        await alice.press(books, books.buttons[1][0][0], exact=True)
        await w.until(lambda: "✓" in books.buttons[1][0][0])
        await alice.send("/help")
        await until_text(w, alice, "نقش شما")
    no_errors(caplog)


async def test_one_blocked_approver_does_not_stop_the_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        await start_all(w, bob, carol)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        w.fake.fail_next("sendMessage", "blocked", chat_id=bob.user_id)
        await alice.press(review, "ارسال برای تأیید")
        waiting = await until_text(w, alice, "برای تأیید فرستاده شد")
        assert "۱" in waiting.text or "1" in waiting.text  # reached one approver
        card = await until_text(w, carol, "درخواست ارسال")
        assert not [m for m in bob.messages() if "درخواست ارسال" in m.text]
        await carol.press(card, "تأیید و ارسال")
        await until_text(w, alice, "انجام شد")
        assert w.sends == 1
    no_errors(caplog)


async def test_every_approver_unreachable_tells_the_requester(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)  # carol never started the bot: "chat not found"
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        bob.block()
        await alice.press(review, "ارسال برای تأیید")
        told = await until_text(w, alice, fa_prefix("approvers_unreachable"))
        assert any("پس گرفتن" in b for b in told.button_texts)
        assert len(await w.store.list_pending_requests()) == 1
        assert w.sends == 0
        await alice.send("/help")
        await until_text(w, alice, "نقش شما")
    no_errors(caplog)


async def test_polling_recovers_from_a_network_failure(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await w.fake.wait_until(lambda: w.fake.polling, timeout=5)
        w.fake.fail_next("getUpdates", "network", times=2)
        await alice.send("/help")
        await until_text(w, alice, "نقش شما", timeout=15)
        await alice.send("/help")
        await w.until(lambda: len(alice.messages()) == 2, timeout=10)
