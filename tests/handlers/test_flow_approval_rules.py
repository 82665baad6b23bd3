"""Approval rules end to end: a request that needs two approvals, with Alice requesting and
Bob and Carol approving. ``w.sends`` counts the POSTs that cost money."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from bot.approval_rules import parse_rules
from bot.config import ConfigError
from bot.domain import BroadcastState, RequestState
from tests.harness import (
    World,
    bot_world,
    compose_to_review,
    count_rows,
    restart,
    set_key,
    submit_request,
    until_text,
    world_settings,
)

TWO = "recipients>=1:2"  # every request needs two approvals
APPROVE = "تأیید و ارسال"
MARKS = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u200e\u200f"))


def plain(text: str | None) -> str:
    """The text without the direction isolates numbers are wrapped in."""
    return (text or "").translate(MARKS)


async def until_plain(w: World, user, needle: str):
    """Like until_text, matching the text without direction isolates."""

    def found():
        return next((m for m in reversed(user.messages()) if needle in plain(m.text)), None)

    await w.fake.wait_until(lambda: found() is not None, timeout=8)
    return found()


async def two_needed(w: World) -> tuple:
    alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
    request, cards = await submit_request(w, alice, (bob, carol))
    return alice, bob, carol, request, cards[bob.user_id], cards[carol.user_id]


def progress_told(alice) -> int:
    return sum("را تأیید کرد" in (m.text or "") for m in alice.messages())


async def test_card_and_requester_say_how_many_approvals_and_why(tmp_path: Path) -> None:
    async with bot_world(tmp_path, approval_rules=TWO) as w:
        alice, _bob, _, request, card, _ = await two_needed(w)
        assert request.approvals_needed == 2 and request.approval_rule == TWO
        assert "👥 تأییدها: ۰ از ۲" in plain(card.text)
        assert "قاعده: ۱ گیرنده یا بیشتر، ۲ تأیید" in plain(card.text)
        assert APPROVE in " ".join(card.button_texts)
        waiting = await until_text(w, alice, "برای تأیید فرستاده شد")
        assert "۲ تأیید از افراد مختلف لازم است" in plain(waiting.text)


async def test_two_needed_two_approvers_pressing_at_once_send_once(tmp_path: Path) -> None:
    async with bot_world(tmp_path, approval_rules=TWO) as w:
        alice, bob, carol, request, card_b, card_c = await two_needed(w)
        await asyncio.gather(bob.press(card_b, APPROVE), carol.press(card_c, APPROVE))
        await until_text(w, alice, "انجام شد")
        await w.settle()
        assert w.sends == 1
        rows = await w.store.list_broadcasts(alice.user_id, limit=10)
        assert len(rows) == 1 and rows[0].state == BroadcastState.SENT
        fresh = await w.store.get_request(request.id)
        assert fresh.state == RequestState.APPROVED
        assert sorted(fresh.approved_by) == [bob.user_id, carol.user_id]
        assert count_rows(w, "approvals", "request_id = ?", (request.id,)) == 2
        closed = await until_text(w, bob, "تأیید شد توسط")
        assert "Admin1002" in closed.text and "Admin1003" in closed.text
        assert "۲ از ۲" in plain(closed.text) and closed.buttons == []


async def test_the_same_approver_twice_counts_once(tmp_path: Path) -> None:
    async with bot_world(tmp_path, approval_rules=TWO) as w:
        alice, bob, carol, request, card_b, _card_c = await two_needed(w)
        # two presses of the same button at the same moment, then one kept from before
        await asyncio.gather(bob.press(card_b, APPROVE), bob.press(card_b, APPROVE))
        mine = await until_plain(w, bob, "شما تأیید کردید؛ منتظر ۱ تأیید دیگر")
        assert APPROVE not in " ".join(mine.button_texts)  # only reject is left
        assert "❌ رد" in mine.button_texts
        query = await bob.press_data(card_b.message_id, f"ap:{request.id}")
        assert "قبلاً تأیید کرده‌اید" in (await bob.answer_of(query)).text
        others = await until_plain(w, carol, "۱ از ۲")
        assert "Admin1002" in plain(others.text) and APPROVE in " ".join(others.button_texts)
        await until_text(w, alice, "را تأیید کرد")
        await w.settle()
        assert progress_told(alice) == 1  # told once per approval, not per press
        fresh = await w.store.get_request(request.id)
        assert fresh.state == RequestState.PENDING and fresh.approved_by == (bob.user_id,)
        assert count_rows(w, "approvals", "request_id = ?", (request.id,)) == 1
        assert w.sends == 0
        await carol.press(others, APPROVE)  # the second distinct approval sends
        await until_text(w, alice, "انجام شد")
        await w.settle()
        assert w.sends == 1


async def test_approve_then_reject_is_rejected_and_sends_nothing(tmp_path: Path) -> None:
    async with bot_world(tmp_path, approval_rules=TWO) as w:
        alice, bob, carol, request, card_b, card_c = await two_needed(w)
        await bob.press(card_b, APPROVE)
        await until_plain(w, carol, "۱ از ۲")
        await carol.press(card_c, "رد")
        await until_text(w, carol, "دلیل رد")
        await carol.press(carol.last(), "رد بدون دلیل")
        told = await until_text(w, alice, "رد شد")
        assert "Admin1003" in told.text
        closed = await until_text(w, bob, "رد شد توسط")
        assert closed.buttons == [] and "۱ از ۲" in plain(closed.text)
        query = await bob.press_data(card_b.message_id, f"ap:{request.id}")  # kept from before
        assert "تعیین تکلیف" in (await bob.answer_of(query)).text
        await w.settle()
        assert (await w.store.get_request(request.id)).state == RequestState.REJECTED
        assert w.sends == 0


async def test_a_rule_change_and_restart_keep_the_rule_of_a_pending_request(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path, approval_rules=TWO) as w:
        alice, bob, carol, request, card_b, _card_c = await two_needed(w)
        # the operator drops the rule and restarts: one approval would now be enough
        w.settings = world_settings(w.fake, w.sandbox, w.data_dir, w.secret, approval_rules="")
        await restart(w)
        assert w.app.services.settings.approval_rules.rules == ()
        await bob.press(card_b, APPROVE)
        others = await until_plain(w, carol, "۱ از ۲")
        assert "قاعده: ۱ گیرنده یا بیشتر، ۲ تأیید" in plain(
            others.text
        )  # the rule it was made under
        await until_plain(w, bob, "منتظر ۱ تأیید دیگر")
        await w.settle()
        assert w.sends == 0
        assert (await w.store.get_request(request.id)).approvals_needed == 2
        await carol.press(others, APPROVE)
        await until_text(w, alice, "انجام شد")
        await w.settle()
        assert w.sends == 1


async def test_a_rule_no_requester_can_meet_stops_the_bot_at_start_up(tmp_path: Path) -> None:
    """#19: three admins, all approvers: whoever asks, only two others can approve, so
    ``recipients>=1:3`` could never be met. The bot refuses to start, in one line."""
    with pytest.raises(ConfigError) as err:
        async with bot_world(tmp_path, approval_rules="recipients>=1:3"):
            pass
    message = str(err.value)
    assert message.startswith("APPROVAL_RULES is invalid: a rule asks for 3 approvals")
    assert "at most 2" in message and "\n" not in message


async def test_more_approvals_than_approvers_is_refused_at_submit(tmp_path: Path) -> None:
    # Defence in depth: the start-up check refuses such a rule (above); should a policy
    # ever ask for more than the other approvers, the submit still refuses it.
    async with bot_world(tmp_path) as w:
        deps = w.app.services.broadcasts.deps
        deps.policy = replace(deps.policy, approval_rules=parse_rules("recipients>=1:3"))
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        refusal = await until_text(w, alice, "از افراد مختلف لازم دارد")
        assert "۳ تأیید" in plain(refusal.text) and "فقط ۲ تأییدکننده" in plain(refusal.text)
        assert "APPROVAL_RULES" in plain(refusal.text)
        assert await w.store.list_pending_requests() == []
        assert w.sends == 0


async def test_unknown_price_applies_the_strictest_cost_rule(tmp_path: Path) -> None:
    rules = "cost>=1000000000:2"  # far above this send's cost: one approval if it is known
    async with bot_world(tmp_path, approval_rules=rules) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        for person in (bob, carol):
            await person.send("/start")
            await until_text(w, person, "نقش شما")
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        w.sandbox.state.fail_next("/api/send/calculate-price", "500", times=3)
        await alice.press(review, "ارسال برای تأیید")
        await until_text(w, alice, "برای تأیید فرستاده شد")
        card = await until_text(w, bob, "درخواست ارسال")
        assert "۰ از ۲" in plain(card.text) and "هزینه هنگام ثبت معلوم نبود" in plain(card.text)
        request = (await w.store.list_pending_requests())[0]
        assert request.approvals_needed == 2 and request.cost_unknown


async def test_a_known_cost_below_the_rule_needs_one_approval(tmp_path: Path) -> None:
    async with bot_world(tmp_path, approval_rules="cost>=1000000000:2") as w:
        alice, bob, _, request, card_b, _ = await two_needed(w)
        assert request.approvals_needed == 1 and "تأییدها" not in plain(card_b.text)
        await bob.press(card_b, APPROVE)
        await until_text(w, alice, "انجام شد")
        await w.settle()
        assert w.sends == 1
