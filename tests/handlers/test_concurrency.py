"""Issue #20: nobody waits for somebody else. Updates of different users run concurrently,
each user's own updates in order (handlers/processor.py), proven on the real PTB stack
against the fake Bot API and the sandbox panel over loopback."""

from __future__ import annotations

import time
from pathlib import Path

from bot.domain import BroadcastState
from tests.fakes.telegram_api import FakeUser
from tests.harness import (
    World,
    bot_world,
    compose_to_review,
    fa_prefix,
    set_key,
    start_all,
    submit_request,
    until_text,
)

NUMBERS = "/api/number/numbers"
SEND = "/api/send"
HELP = "نقش شما"
DRAFT_SAFE = "پیش‌نویس محفوظ است"  # ends every failed read during composing


def newest(user: FakeUser) -> int:
    return user.messages()[-1].message_id if user.messages() else 0


async def help_wait(w: World, user: FakeUser) -> float:
    """Seconds from /help to its answer."""
    mark = newest(user)
    started = time.monotonic()
    await user.send("/help")
    await until_text(w, user, HELP, after=mark)
    return time.monotonic() - started


def requests_to(w: World, path: str) -> int:
    return sum(r.path.endswith(path) for r in w.sandbox.state.requests)


async def test_another_admin_is_answered_while_the_sender_line_list_hangs(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path, ippanel_read_timeout=20.0) as w:
        alice, carol = w.admin(0), w.admin(2)
        await start_all(w, carol)
        await set_key(w, alice)
        w.sandbox.state.fail_next(NUMBERS, "hang", delay=6)  # then a 504
        mark = newest(alice)
        await alice.send("/send")
        await w.until(lambda: requests_to(w, NUMBERS) == 1)  # alice's call is hanging now
        await alice.send("/help")  # alice's own next update waits for her first one

        waited = await help_wait(w, carol)

        assert waited < 1.0, waited  # was the whole hang, once per try
        assert requests_to(w, NUMBERS) == 1  # carol was answered while alice still waits
        assert not any(HELP in (m.text or "") for m in alice.messages() if m.message_id > mark)
        told = await until_text(w, alice, DRAFT_SAFE, after=mark, timeout=30)
        helped = await until_text(w, alice, HELP, after=mark, timeout=10)
        assert told.message_id < helped.message_id  # alice's updates kept their order


async def hanging_post(w: World) -> None:
    """Wait until the panel holds a POST to /api/send (a 'hang' fault is armed)."""
    await w.until(lambda: w.sandbox.state.send_post_count == 1, timeout=15)


async def test_another_admin_is_answered_while_a_test_sms_hangs(tmp_path: Path) -> None:
    async with bot_world(tmp_path, ippanel_read_timeout=20.0) as w:
        alice, carol = w.admin(0), w.admin(2)
        await start_all(w, carol)
        await set_key(w, alice)
        await alice.send("/phone")
        await until_text(w, alice, "فرستادن شمارهٔ من")
        await alice.share_phone()
        await until_text(w, alice, "برای پیامک آزمایشی ثبت شد")
        card = await compose_to_review(w, alice)
        w.sandbox.state.fail_next(SEND, "hang", delay=6)
        mark = newest(alice)
        await alice.press(card, "آزمایش روی گوشی من")
        await hanging_post(w)

        waited = await help_wait(w, carol)

        assert waited < 1.0, waited
        assert w.sandbox.state.send_post_count == 1  # still the one hanging POST
        assert not any(HELP in (m.text or "") for m in alice.messages() if m.message_id > mark)
        await w.until(lambda: newest(alice) > mark, timeout=30)  # alice hears the outcome
        await w.settle()
        assert w.sends == 1  # a test SMS whose answer never came is not sent again


async def test_another_admin_is_answered_while_a_direct_send_hangs(tmp_path: Path) -> None:
    async with bot_world(tmp_path, ippanel_read_timeout=20.0, approvals_required="0") as w:
        alice, carol = w.admin(0), w.admin(2)
        await start_all(w, carol)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        w.sandbox.state.fail_next(SEND, "hang", delay=6)
        await alice.press(review, "✅ ارسال")  # approvals off: sends after review
        await hanging_post(w)

        waited = await help_wait(w, carol)

        assert waited < 1.0, waited
        await until_text(w, alice, fa_prefix("send_unknown"), timeout=30)
        await w.settle()
        assert w.sends == 1  # the hanging send is unknown, never repeated


async def test_a_trickling_panel_is_cut_at_the_deadline_and_the_send_reported_unknown(
    tmp_path: Path,
) -> None:
    # the read timeout (20 s) never fires: a byte comes every 0.3 s; only the deadline ends it
    async with bot_world(tmp_path, ippanel_read_timeout=20.0, ippanel_deadline_seconds=2.0) as w:
        alice, bob = w.admin(0), w.admin(1)
        request, cards = await submit_request(w, alice, (bob,))
        w.sandbox.state.fail_next(SEND, "trickle", delay=0.3)
        await bob.press(cards[bob.user_id], "تأیید و ارسال")
        unknown = fa_prefix("send_unknown")
        await until_text(w, bob, unknown, timeout=15)
        await until_text(w, alice, unknown, timeout=15)
        await w.settle()
        b = await w.store.get_broadcast_for_request(request.id)
        assert b.state == BroadcastState.UNKNOWN
        assert w.sends == 1  # never repeated
        assert len(w.sandbox.state.sends) == 1  # the panel did take it: unknown, not failed
