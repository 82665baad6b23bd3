"""Reliability (issue #7, part 1): races on approval and concurrent composing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.domain import BroadcastState, RequestState
from tests.harness import (
    bot_world,
    compose_to_review,
    count_rows,
    fa_prefix,
    set_key,
    start_all,
    submit_request,
    until_text,
)

ALREADY = fa_prefix("decision_already")
SELF = fa_prefix("decision_self")


async def test_fifty_simultaneous_approve_presses_send_exactly_once(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        request, cards = await submit_request(w, alice, (bob, carol))
        presses = (
            [bob.press(cards[bob.user_id], "تأیید و ارسال") for _ in range(25)]
            + [carol.press(cards[carol.user_id], "تأیید و ارسال") for _ in range(22)]
            + [alice.press_data(1, f"ap:{request.id}", chat_id=alice.chat_id) for _ in range(3)]
        )
        # the buttons are pressed all at once, before the first press is even delivered
        query_ids = await asyncio.gather(*presses)
        assert len(query_ids) == 50
        users = [bob] * 25 + [carol] * 22 + [alice] * 3
        answers = [await u.answer_of(q, timeout=15) for u, q in zip(users, query_ids, strict=True)]

        await until_text(w, alice, "انجام شد", timeout=15)
        await w.settle()
        assert w.sends == 1
        assert count_rows(w, "broadcasts") == 1
        winners = [a for a in answers if not a.text]
        assert len(winners) == 1, [a.text for a in answers]
        for user, call in zip(users, answers, strict=True):
            if call in winners:
                continue
            assert call.show_alert
            assert (SELF if user is alice else ALREADY) in call.text, call.text
        final = await w.store.get_request(request.id)
        assert final.state == RequestState.APPROVED and final.decided_by in (1002, 1003)
        broadcast = await w.store.get_broadcast_for_request(request.id)
        assert broadcast.state == BroadcastState.SENT
        assert w.fake.unanswered_callbacks() == []


async def test_two_admins_compose_and_submit_concurrently_without_cross_talk(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        await start_all(w, carol)
        await asyncio.gather(set_key(w, alice), set_key(w, bob))
        text_a, text_b = "پیام آلیس: جشنواره بهاره ۱۴۰۳", "پیام باب: یادآوری جلسه فردا"
        review_a, review_b = await asyncio.gather(
            compose_to_review(w, alice, text=text_a), compose_to_review(w, bob, text=text_b)
        )
        assert text_a in review_a.text and text_b not in review_a.text
        assert text_b in review_b.text and text_a not in review_b.text
        await asyncio.gather(
            alice.press(review_a, "ارسال برای تأیید"), bob.press(review_b, "ارسال برای تأیید")
        )
        await until_text(w, alice, "برای تأیید فرستاده شد")
        await until_text(w, bob, "برای تأیید فرستاده شد")
        await w.settle()
        cards = [m for m in carol.messages() if "درخواست ارسال" in m.text]
        assert len(cards) == 2
        by_requester = {}
        for card in cards:
            assert (text_a in card.text) != (text_b in card.text), card.text
            by_requester["a" if text_a in card.text else "b"] = card
        assert set(by_requester) == {"a", "b"}
        # each requester is the other's approver: bob sees alice's text only, and vice versa
        card_for_bob = await until_text(w, bob, "درخواست ارسال")
        card_for_alice = await until_text(w, alice, "درخواست ارسال")
        assert text_a in card_for_bob.text and text_b not in card_for_bob.text
        assert text_b in card_for_alice.text and text_a not in card_for_alice.text
        drafts_a = await w.store.list_drafts(alice.user_id)
        drafts_b = await w.store.list_drafts(bob.user_id)
        assert [d.text for d in drafts_a] == [text_a]
        assert [d.text for d in drafts_b] == [text_b]
        pending = await w.store.list_pending_requests()
        assert {r.requester_id: r.snapshot.message for r in pending} == {
            alice.user_id: text_a,
            bob.user_id: text_b,
        }
        assert w.sends == 0
