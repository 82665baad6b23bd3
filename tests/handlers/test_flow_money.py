"""Paths that can cost money, end to end: real PTB against the fake Bot API, the sandbox
panel, a real SQLite file. Every test counts the POSTs to /api/send."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.domain import BroadcastState, RequestState
from handlers.jobs import reconcile_unknown
from handlers.session import CustomContext
from tests.flows import unknown_send
from tests.harness import (
    World,
    bot_world,
    compose_to_review,
    count_rows,
    fa_prefix,
    restart,
    set_key,
    start_all,
    submit_request,
    until_text,
)
from tests.storage_fixtures import break_broadcast_rows, mend_broadcast_rows

STRANDED = fa_prefix("stranded")
NO_SMS = "هیچ پیامکی فرستاده نشده است"


async def test_unknown_stays_unknown_until_a_person_confirms_then_retry_sends_once(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, told = await unknown_send(w)
        # the card offers checking, and the panel check, but never "send again"
        assert any("بررسی وضعیت" in b for b in told.button_texts)
        assert any("ارسال نشده" in b for b in told.button_texts)
        assert not any("ارسال دوباره" in b for b in told.button_texts)
        assert "صندوق ارسال" in told.text  # how to check in the panel

        # an hour later the provider still has no row: that proves nothing
        service = w.app.services.broadcasts
        later = service.deps.clock() + timedelta(hours=1)
        service.deps.clock = lambda: later
        await reconcile_unknown(CustomContext(w.app))
        await alice.press(told, "بررسی وضعیت")
        checked = await until_text(w, alice, "هنوز نمی‌توان گفت", after=told.message_id)
        assert not any("تلاش دوباره" in b for b in checked.button_texts)
        rows = await w.store.list_broadcasts(alice.user_id, limit=5)
        assert rows[0].state == BroadcastState.UNKNOWN
        assert w.sends == 1

        # step one explains and warns; cancelling changes nothing
        await alice.press(told, "ارسال نشده")
        ask = await until_text(w, alice, "تأیید «ارسال نشده»")
        assert "دوباره فرستاده و هزینه می‌شود" in ask.text
        await alice.press(ask, "انصراف")
        await until_text(w, alice, "همچنان نامعلوم")
        assert (await w.store.get_broadcast(rows[0].id)).state == BroadcastState.UNKNOWN

        # step two, by the approver this time: recorded with who, and only now a retry
        await bob.press(until_last(bob, "نامعلوم"), "ارسال نشده")
        ask = await until_text(w, bob, "تأیید «ارسال نشده»")
        await bob.press(ask, "بررسی کردم")
        done_bob = await until_text(w, bob, "«ارسال‌نشده» ثبت شد")
        done_alice = await until_text(w, alice, "«ارسال‌نشده» ثبت شد")
        assert "1002" in done_alice.text
        assert any("تلاش دوباره" in b for b in done_bob.button_texts)
        audit = [e for e in await w.store.list_audit() if e.action == "confirmed_not_sent"]
        assert [e.actor_id for e in audit] == [bob.user_id]
        assert w.sends == 1

        await alice.press(done_alice, "تلاش دوباره")
        await until_text(w, alice, "انجام شد")
        await w.settle()
        await bob.press(done_bob, "تلاش دوباره")  # a late second retry sends nothing
        await until_text(w, bob, fa_prefix("retry_refused"))
        await w.settle()
        assert w.sends == 2  # the refused-before-queueing POST and the one retry
        b = await w.store.get_broadcast(rows[0].id)
        assert b.state == BroadcastState.SENT and b.attempts == 2


def until_last(user, needle: str):
    return [m for m in user.messages() if needle in (m.text or "")][-1]


async def test_unknown_that_went_out_with_a_skewed_provider_clock_is_found(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        _, cards = await submit_request(w, alice, (bob,))
        w.sandbox.state.clock_offset = timedelta(seconds=-90)  # the panel's clock is behind
        w.sandbox.state.fail_next("/api/send", "accept_then_hang", delay=4)
        await bob.press(cards[bob.user_id], "تأیید و ارسال")
        told = await until_text(w, alice, "نامعلوم", timeout=12)
        await alice.press(told, "بررسی وضعیت")
        checked = await until_text(w, alice, "بررسی شد")
        assert "انجام شده" in checked.text
        assert not any("ارسال نشده" in b for b in checked.button_texts)
        rows = await w.store.list_broadcasts(alice.user_id, limit=5)
        assert rows[0].state == BroadcastState.SENT
        assert rows[0].outbox_ids == list(w.sandbox.state.sends)
        assert w.sends == 1


async def test_approver_card_shows_cost_and_credit_and_warns_when_short(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        _, cards = await submit_request(w, alice, (bob,))
        card = cards[bob.user_id]
        assert "هزینهٔ تخمینی" in card.text and "اعتبار فعلی" in card.text
        assert "ممکن است اعتبار" not in card.text

        # enough for the cheapest operator only: the card warns
        service = w.app.services.broadcasts
        api_key = await w.store.get_api_key(alice.user_id)
        request = (await w.store.list_pending_requests())[-1]
        money = await service.submitter.money_check(api_key, request.snapshot)
        w.sandbox.state.set_credit("sandbox-key", int(money.cost_low))
        await submit_draft_again(w, alice)
        warned = await until_text(w, bob, "ممکن است اعتبار", after=card.message_id)
        assert "درخواست ارسال" in warned.text

        # short even at the cheapest price: refused with the missing amount
        w.sandbox.state.set_credit("sandbox-key", int(money.cost_low) - 2500)
        mark = await submit_draft_again(w, alice)
        refused = await until_text(w, alice, "اعتبار حساب کافی نیست", after=mark)
        assert "۲٬۵۰۰" in refused.text
        assert len(await w.store.list_pending_requests()) == 1
        assert w.sends == 0


async def submit_draft_again(w: World, alice) -> int:
    """Reopen the draft from /drafts and press submit; returns the listing's message id."""
    await alice.send("/drafts")
    listing = await until_text(w, alice, "پیش‌نویس‌های شما", after=alice.last().message_id)
    await alice.press(listing, "▶️")
    review = await until_text(w, alice, "بازبینی", after=listing.message_id)
    await alice.press(review, "ارسال برای تأیید")
    return listing.message_id


async def test_submit_without_a_key_is_refused_before_any_approver_sees_it(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await w.store.delete_api_key(alice.user_id)  # e.g. /logout in another window
        await alice.press(review, "ارسال برای تأیید")
        refused = await until_text(w, alice, "کلید API شما ثبت نشده")
        assert "/token" in refused.text
        await w.settle()
        assert not [m for m in bob.messages() if "درخواست ارسال" in (m.text or "")]
        assert await w.store.list_pending_requests() == []
        assert w.sends == 0


async def test_requester_removed_from_admins_is_voided_at_restart(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        request, cards = await submit_request(w, alice, (bob, carol))
        w.settings = w.settings.model_copy(update={"admin_ids": [1002, 1003]})
        await restart(w)
        closed = await until_text(w, bob, "دیگر مدیر نیست")
        await until_text(w, carol, "دیگر مدیر نیست")
        assert closed.buttons == []
        assert (await w.store.get_request(request.id)).state == RequestState.WITHDRAWN
        query = await bob.press_data(cards[bob.user_id].message_id, f"ap:{request.id}")
        assert fa_prefix("decision_already") in (await bob.answer_of(query)).text
        await w.settle()
        assert w.sends == 0 and count_rows(w, "broadcasts") == 0


async def test_approved_but_never_started_is_told_at_restart_and_one_tap_sends_once(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        request, _ = await submit_request(w, alice, (bob, carol))
        # what a crash between the approval's compare-and-set and the row leaves behind
        assert await w.store.decide_request(
            request.id, to_state=RequestState.APPROVED, decided_by=bob.user_id
        )
        await w.settle()
        await restart(w)
        told_alice = await until_text(w, alice, STRANDED)
        told_bob = await until_text(w, bob, STRANDED)
        assert NO_SMS in told_alice.text and NO_SMS in told_bob.text
        assert not [m for m in carol.messages() if STRANDED in (m.text or "")]
        assert w.sends == 0

        await bob.press(told_bob, "اکنون ارسال شود")
        await until_text(w, alice, "انجام شد")
        await w.settle()
        await alice.press(told_alice, "اکنون ارسال شود")  # the other admin, a moment late
        await until_text(w, alice, fa_prefix("send_duplicate"))
        await w.settle()
        assert w.sends == 1
        b = await w.store.get_broadcast_for_request(request.id)
        assert b.state == BroadcastState.SENT and b.approver_id == bob.user_id
        # told once: a further restart finds nothing stranded
        await restart(w)
        await w.settle()
        assert len([m for m in alice.messages() if STRANDED in (m.text or "")]) == 1
        assert w.sends == 1


async def test_store_error_after_approval_tells_both_and_one_tap_sends_once(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        request, cards = await submit_request(w, alice, (bob,))
        store = w.store
        # the row fails once, like a transient "database is locked"
        await break_broadcast_rows(store, "database is locked")
        await bob.press(cards[bob.user_id], "تأیید و ارسال")
        told_alice = await until_text(w, alice, STRANDED)
        await until_text(w, bob, STRANDED)
        await mend_broadcast_rows(store)
        assert NO_SMS in told_alice.text
        assert (await store.get_request(request.id)).state == RequestState.APPROVED
        assert w.sends == 0 and count_rows(w, "broadcasts") == 0

        await alice.press(told_alice, "اکنون ارسال شود")
        await until_text(w, alice, "انجام شد")
        await until_text(w, bob, "انجام شد")
        await w.settle()
        assert w.sends == 1
