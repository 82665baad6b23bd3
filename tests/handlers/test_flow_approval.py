"""Second-admin approval, sending and its outcomes, end to end with two and three admins."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.domain import BroadcastState, RequestState
from tests.harness import World, bot_world, compose_to_review, set_key, until_text


async def submitted(w: World, *, approvers: int = 2, **compose) -> tuple:
    """Alice composes and submits; Bob (and Carol) started the bot and see the card."""
    alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
    for person in (bob, carol)[: approvers - 1]:
        await person.send("/start")
        await until_text(w, person, "نقش شما")
    await set_key(w, alice)
    review = await compose_to_review(w, alice, **compose)
    await alice.press(review, "ارسال برای تأیید")
    await until_text(w, alice, "برای تأیید فرستاده شد")
    card = await until_text(w, bob, "درخواست ارسال")
    return alice, bob, carol, card


async def test_self_approval_refused_even_as_an_approver(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, _, _, card = await submitted(w)
        request = (await w.store.list_pending_requests())[0]
        query = await alice.press_data(card.message_id, f"ap:{request.id}", chat_id=alice.chat_id)
        assert "خودتان" in (await alice.answer_of(query)).text
        assert w.sends == 0
        assert (await w.store.get_request(request.id)).state == RequestState.PENDING


async def test_reject_with_reason_tells_the_requester(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, _, card = await submitted(w)
        await bob.press(card, "رد")
        await until_text(w, bob, "دلیل رد")
        await bob.send("متن <اشتباه> است")
        told = await until_text(w, alice, "رد شد")
        assert "متن <اشتباه> است" in told.text
        closed = await until_text(w, bob, "رد شد توسط")
        assert closed.buttons == []
        request = (await w.store.list_decided_requests(bob.user_id, limit=5, offset=0))[0]
        assert request.state == RequestState.REJECTED and request.reason == "متن <اشتباه> است"
        assert w.sends == 0
        assert await w.store.list_drafts(alice.user_id)  # the draft stays to be fixed


async def test_withdraw_closes_every_card(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, _, card = await submitted(w)
        waiting = await until_text(w, alice, "برای تأیید فرستاده شد")
        await alice.press(waiting, "پس گرفتن")
        await until_text(w, alice, "پس گرفته شد")
        await until_text(w, bob, "پس گرفت")
        assert card.buttons == []
        query = await bob.press_data(card.message_id, "ap:1")  # a press kept from before
        assert "تعیین تکلیف" in (await bob.answer_of(query)).text
        assert w.sends == 0


async def test_no_other_approver_says_so(tmp_path: Path) -> None:
    async with bot_world(tmp_path, approver_ids="1001") as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        refusal = await until_text(w, alice, "تأییدکنندهٔ دیگری")
        assert "APPROVER_IDS" in refusal.text
        assert await w.store.list_pending_requests() == []


async def test_expired_request_changes_nothing(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, _, card = await submitted(w)
        service = w.app.services.broadcasts
        later = service.deps.clock() + timedelta(hours=25)
        service.deps.clock = lambda: later
        query = await bob.press(card, "تأیید و ارسال")
        assert "مهلت" in (await bob.answer_of(query)).text
        await until_text(w, alice, "مهلت تأیید")
        request = (await w.store.list_decided_requests(bob.user_id, limit=5, offset=0)) or [
            await w.store.get_request(1)
        ]
        assert request[0].state == RequestState.EXPIRED
        assert w.sends == 0


async def test_three_approvers_pressing_at_once_send_once(tmp_path: Path) -> None:
    import asyncio

    async with bot_world(tmp_path) as w:
        alice, bob, carol, card = await submitted(w, approvers=3)
        card_c = await until_text(w, carol, "درخواست ارسال")
        presses = [bob.press(card, "تأیید و ارسال"), carol.press(card_c, "تأیید و ارسال")] * 5
        await asyncio.gather(*presses)
        await until_text(w, alice, "انجام شد")
        await w.settle()
        assert w.sends == 1
        rows = await w.store.list_broadcasts(alice.user_id, limit=10)
        assert len(rows) == 1 and rows[0].state == BroadcastState.SENT


async def test_scheduled_send_and_its_cancellation(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, _, _ = await submitted(w)
        # withdraw the "now" request and schedule the draft instead
        drafts = await w.store.list_drafts(alice.user_id)
        await alice.send("/drafts")
        listing = await until_text(w, alice, "پیش‌نویس‌های شما")
        assert len(drafts) == 1 and "#" not in listing.text  # drafts have no number
        await alice.press(listing, "▶️")
        review = await until_text(w, alice, "بازبینی", after=listing.message_id)
        await alice.press(review, "✏️ زمان")
        await until_text(w, alice, "زمان ارسال", after=listing.message_id)
        await alice.press(alice.last(), "فردا ساعت ۹")
        review = await until_text(w, alice, "زمان: ۱۴", after=listing.message_id)
        await until_text(w, alice, "باطل شد")  # the pending "now" request was voided by the edit
        await alice.press(review, "ارسال برای تأیید")
        await until_text(w, bob, "#2")
        card = [m for m in bob.messages() if "#2" in m.text][-1]
        await bob.press(card, "تأیید و ارسال")
        done = await until_text(w, alice, "زمان‌بندی شد")
        assert "#2" in done.text and "انجام شد" not in done.text
        assert w.sends == 1
        await alice.press(done, "لغو ارسال")
        await until_text(w, alice, "لغو شد")
        rows = await w.store.list_broadcasts(alice.user_id, limit=10)
        assert rows[0].state == BroadcastState.CANCELLED


async def test_provider_refusals_reach_both_admins_with_the_next_step(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, _, card = await submitted(w)
        w.sandbox.state.fail_next("/api/send", "401")
        await bob.press(card, "تأیید و ارسال")
        told = await until_text(w, alice, "/token")
        assert "انجام نشد" in told.text
        assert "/token" in (await until_text(w, bob, "انجام نشد")).text
        assert w.sends == 1  # the refused POST itself; nothing went out


async def test_422_points_to_the_step_to_fix(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, _, card = await submitted(w)
        w.sandbox.state.fail_next("/api/send", "422")
        await bob.press(card, "تأیید و ارسال")
        told = await until_text(w, alice, "اصلاح کنید")
        assert "✏️ اصلاح پیش‌نویس" in told.button_texts
        await until_text(w, bob, "انجام نشد")
        await alice.press(told, "اصلاح پیش‌نویس")
        await w.settle()
        assert alice.last().buttons  # the draft's step menu is open again


async def test_500_is_unknown_and_never_resent(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, _, card = await submitted(w)
        w.sandbox.state.fail_next("/api/send", "500")
        await bob.press(card, "تأیید و ارسال")
        told = await until_text(w, alice, "نامعلوم")
        assert "بررسی وضعیت" in " ".join(told.button_texts)
        await until_text(w, bob, "نامعلوم")
        query = await bob.press_data(card.message_id, "ap:1")  # a second press, kept from before
        assert "تعیین تکلیف" in (await bob.answer_of(query)).text
        await w.settle()
        assert w.sends == 1
        rows = await w.store.list_broadcasts(alice.user_id, limit=10)
        assert rows[0].state == BroadcastState.UNKNOWN


async def test_timeout_after_accept_is_unknown_then_reconciled(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, _, card = await submitted(w)
        w.sandbox.state.fail_next("/api/send", "accept_then_hang", delay=5)
        await bob.press(card, "تأیید و ارسال")
        told = await until_text(w, alice, "نامعلوم", timeout=12)
        assert w.sends == 1 and len(w.sandbox.state.sends_of("sandbox-key")) == 1
        await alice.press(told, "بررسی وضعیت")
        checked = await until_text(w, alice, "بررسی شد")
        assert "انجام شده" in checked.text
        rows = await w.store.list_broadcasts(alice.user_id, limit=10)
        assert rows[0].state == BroadcastState.SENT and rows[0].outbox_ids
        assert w.sends == 1


async def test_connection_refused_then_retry_sends_once(tmp_path: Path) -> None:
    from sandbox import start_sandbox

    async with bot_world(tmp_path) as w:
        alice, bob, _, card = await submitted(w)
        port = int(w.sandbox.base_url.rsplit(":", 1)[1].split("/")[0])
        await w.sandbox.stop()  # the panel is down between the approval and the send
        await bob.press(card, "تأیید و ارسال")
        told = await until_text(w, alice, "مطمئنیم هیچ پیامکی نرفته")
        await until_text(w, bob, "مطمئنیم هیچ پیامکی نرفته")
        w.sandbox = await start_sandbox(w.sandbox.state, port=port)
        assert w.sends == 0
        await alice.press(told, "تلاش دوباره")
        await until_text(w, alice, "انجام شد")
        await w.settle()
        assert w.sends == 1
        rows = await w.store.list_broadcasts(alice.user_id, limit=10)
        assert len(rows) == 1 and rows[0].state == BroadcastState.SENT


async def test_expiry_job_closes_cards_and_tells_the_requester(tmp_path: Path) -> None:
    from handlers.jobs import expire_requests
    from handlers.session import CustomContext

    async with bot_world(tmp_path, approval_ttl_hours="1") as w:
        alice, bob, _, _ = await submitted(w)
        assert w.app.job_queue.get_jobs_by_name("expire_requests")  # runs every minute
        service = w.app.services.broadcasts
        later = service.deps.clock() + timedelta(hours=1, minutes=1)
        service.deps.clock = lambda: later
        await expire_requests(CustomContext(w.app))
        await until_text(w, alice, "مهلت تأیید درخواست")
        closed = await until_text(w, bob, "مهلت تأیید این درخواست تمام شد")
        assert closed.buttons == []
        assert (await w.store.get_request(1)).state == RequestState.EXPIRED
        assert w.sends == 0


async def test_each_approver_reads_the_decision_in_their_own_language(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        _, bob, carol, card = await submitted(w, approvers=3)
        await carol.send("/lang")
        await carol.press(await carol.reply(), "English")
        await until_text(w, carol, "Language: English")
        await bob.press(card, "رد")
        await until_text(w, bob, "دلیل رد")
        await bob.send("متن اشتباه است")
        closed = await until_text(w, carol, "Rejected by")
        assert "Reason: متن اشتباه است" in closed.text
        assert not any("۰" <= c <= "۹" for c in closed.text.split("\n")[0])  # Latin digits
        assert "دلیل: متن اشتباه است" in (await until_text(w, bob, "رد شد توسط")).text
