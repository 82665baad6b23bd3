"""Issue #20: with updates of different users processed concurrently, two admins pressing
conflicting buttons at the same instant. Every pair ends in one consistent state, both
admins are told the truth, and the POSTs to /api/send are counted.

The presses are sent together (``asyncio.gather``) before the first is delivered, so the
bot takes them in one getUpdates batch and runs them side by side (handlers/processor.py).
Which one wins is up to the store's compare-and-set; each test accepts either winner and
checks that everything anyone was told agrees with it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.domain import BroadcastState, RequestState
from tests.fakes.telegram_api import FakeUser
from tests.flows import SEED, approved_plan, plain, until_plain
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

APPROVE = "تأیید و ارسال"
SENT = "انجام شد"
ALREADY = fa_prefix("decision_already")
SEND = "/api/send"


def newest(user: FakeUser) -> int:
    return user.messages()[-1].message_id if user.messages() else 0


def texts_after(user: FakeUser, mark: int) -> str:
    return "\n".join(m.text or "" for m in user.messages() if m.message_id > mark)


async def test_approve_and_withdraw_at_the_same_instant(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        request, cards = await submit_request(w, alice, (bob,))
        waiting = await until_text(w, alice, "برای تأیید فرستاده شد")
        q_bob, q_alice = await asyncio.gather(
            bob.press(cards[bob.user_id], APPROVE),
            alice.press(waiting, "پس گرفتن درخواست"),
        )
        a_bob, a_alice = await bob.answer_of(q_bob, 15), await alice.answer_of(q_alice, 15)
        final = await w.store.get_request(request.id)
        if final.state == RequestState.APPROVED:
            await until_text(w, alice, SENT, timeout=15)
            await until_text(w, bob, SENT, timeout=15)
            assert a_alice.show_alert and ALREADY in a_alice.text  # told it was too late
            assert not a_bob.text
            expected_posts = 1
        else:
            assert final.state == RequestState.WITHDRAWN
            await until_text(w, alice, "پس گرفته شد")
            await until_text(w, bob, fa_prefix("decided_withdrawn"))
            assert a_bob.show_alert and ALREADY in a_bob.text
            assert SENT not in texts_after(bob, cards[bob.user_id].message_id)
            expected_posts = 0
        await w.settle()
        assert w.sends == expected_posts
        assert len(await w.store.list_broadcasts(alice.user_id)) == expected_posts


async def test_approve_and_reject_at_the_same_instant(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        request, cards = await submit_request(w, alice, (bob, carol))
        await carol.press(cards[carol.user_id], "رد")
        prompt = await until_text(w, carol, "دلیل رد درخواست")
        mark_carol = newest(carol)
        q_bob, _ = await asyncio.gather(
            bob.press(cards[bob.user_id], APPROVE), carol.press(prompt, "رد بدون دلیل")
        )
        a_bob = await bob.answer_of(q_bob, 15)
        final = await w.store.get_request(request.id)
        if final.state == RequestState.APPROVED:
            await until_text(w, alice, SENT, timeout=15)
            told = await until_text(w, carol, ALREADY, after=mark_carol)
            assert "تأیید" in told.text  # the state it was decided to
            assert "رد شد" not in texts_after(alice, 0)
            expected_posts = 1
        else:
            assert final.state == RequestState.REJECTED
            await until_text(w, alice, "رد شد")
            assert a_bob.show_alert and ALREADY in a_bob.text
            assert SENT not in texts_after(alice, 0)
            expected_posts = 0
        await w.settle()
        assert w.sends == expected_posts


async def scheduled_review(w: World, user: FakeUser):
    review = await compose_to_review(w, user)
    await user.press(review, "زمان")
    await until_text(w, user, "زمان ارسال")
    await user.press(user.last(), "یک ساعت دیگر")
    await w.until(lambda: "بازبینی" in user.last().text and "همین حالا" not in user.last().text)
    return user.last()


async def test_cancel_and_a_stale_retry_at_the_same_instant(tmp_path: Path) -> None:
    """A scheduled send was unknown, confirmed not sent and retried by Alice: both admins
    hold a card with "retry" (Bob's now stale) and Alice's new card has "cancel"."""
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await scheduled_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        w.sandbox.state.fail_next(SEND, "500")
        await bob.press(card, APPROVE)
        unknown = await until_text(w, bob, "نامعلوم")
        await bob.press(unknown, "ارسال نشده")
        await bob.press(await until_text(w, bob, "تأیید «ارسال نشده»"), "بررسی کردم")
        retry_bob = await until_text(w, bob, "«ارسال‌نشده» ثبت شد")
        retry_alice = await until_text(w, alice, "«ارسال‌نشده» ثبت شد")
        await alice.press(retry_alice, "تلاش دوباره")
        done = await until_text(w, alice, "زمان‌بندی شد", after=retry_alice.message_id)
        assert w.sends == 2
        mark_bob = newest(bob)
        await asyncio.gather(
            alice.press(done, "لغو ارسال زمان‌بندی‌شده"), bob.press(retry_bob, "تلاش دوباره")
        )
        await until_text(w, alice, fa_prefix("cancel_ok"), after=done.message_id)
        await until_text(w, bob, fa_prefix("retry_refused"), after=mark_bob)
        await until_text(w, bob, "لغو", after=mark_bob)  # bob learns it was cancelled
        await w.settle()
        [b] = await w.store.list_broadcasts(alice.user_id)
        assert b.state == BroadcastState.CANCELLED
        assert w.sends == 2  # the refused-before-queueing POST and Alice's retry, no third
        assert [s.state_id for s in w.sandbox.state.sends.values()] == [7]  # cancelled there


async def test_two_approvers_of_a_two_approval_rule_press_together_many_times(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path, approval_rules="recipients>=1:2") as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        request, cards = await submit_request(w, alice, (bob, carol))
        queries = await asyncio.gather(
            *[bob.press(cards[bob.user_id], APPROVE) for _ in range(5)],
            *[carol.press(cards[carol.user_id], APPROVE) for _ in range(5)],
        )
        users = [bob] * 5 + [carol] * 5
        answers = [await u.answer_of(q, 15) for u, q in zip(users, queries, strict=True)]
        await until_text(w, alice, SENT, timeout=15)
        await w.settle()
        assert w.sends == 1
        final = await w.store.get_request(request.id)
        assert final.state == RequestState.APPROVED
        assert sorted(final.approved_by) == [bob.user_id, carol.user_id]
        # one press sent it (blank answer), one counted the first approval (a toast); every
        # other press was told plainly that it changed nothing
        blank = [a for a in answers if not a.text]
        assert len(blank) == 1
        for a in answers:
            if a not in blank:
                assert a.text, a
        assert w.fake.unanswered_callbacks() == []


async def test_cancel_remaining_and_continue_at_the_same_instant(tmp_path: Path) -> None:
    """A plan stopped at batch 2 (the panel took it, the answer was lost), then found sent:
    batch 3 is unposted. Alice presses "continue" as Bob presses "cancel the remaining"."""
    async with bot_world(tmp_path, sandbox_seed=SEED) as w:
        alice, bob, _, card = await approved_plan(w)
        w.sandbox.state.fail_next(SEND, "accept_then_drop", skip=1)
        await bob.press(card, APPROVE)
        alice_card = await until_plain(w, alice, "در نوبت ۲ متوقف شد")
        stopped = await until_plain(w, bob, "در نوبت ۲ متوقف شد")
        await bob.press(stopped, "بررسی وضعیت")
        await until_text(w, bob, "زمان‌بندی", after=stopped.message_id)  # found sent
        assert w.sends == 2
        mark_a, mark_b = newest(alice), newest(bob)
        [go] = [b[1] for row in alice_card.buttons for b in row if "ادامهٔ برنامه" in b[0]]
        await asyncio.gather(
            alice.press(alice_card, "ادامهٔ برنامه"), bob.press(stopped, "لغو نوبت‌های باقی‌مانده")
        )
        cancel_done = "دیگر هرگز فرستاده نمی‌شوند"  # only the cancel's report says this
        told_bob = await until_plain(w, bob, cancel_done, after=mark_b)
        await until_plain(w, alice, cancel_done, after=mark_a)
        await w.settle()
        rows = await w.store.list_plan_batches(
            f"r{(await w.store.list_broadcasts(alice.user_id))[0].request_id}"
        )
        told = plain(told_bob.text)
        # whoever won, nothing is left to go out, and Bob was told what happened to batch 3
        assert all(s.state_id == 7 for s in w.sandbox.state.sends.values())
        assert all(r.state == BroadcastState.CANCELLED for r in rows)
        if w.sends == 3:  # continue posted batch 3 first: the cancel then cancelled it
            assert "لغوشده: ۱، ۲، ۳" in told and "هرگز فرستاده نمی‌شوند): —" in told
        else:  # the cancel came first: batch 3 was never posted, and never will be
            assert w.sends == 2 and [r.batch_no for r in rows] == [1, 2]
            assert "لغوشده: ۱، ۲" in told and "هرگز فرستاده نمی‌شوند): ۳" in told
        # a later "continue" (the card no longer offers it) posts nothing
        await alice.press_data(alice_card.message_id, go, chat_id=alice.chat_id)
        await w.settle()
        assert w.sends in (2, 3) and len(w.sandbox.state.sends) == w.sends
