"""Issue #19, one lifecycle: each defect found by combining buttons, end to end (real PTB
stack, fake Bot API, sandbox panel, real SQLite file). Every test counts the POSTs to
/api/send (``w.sends``): the number that costs money."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_application
from bot.domain import BroadcastState
from tests.flows import SEED, approve_plan_killed_after_batch_1, approved_plan, plain, until_plain
from tests.harness import World, restart, start_bot, stop_bot, until_text, world_settings

STOPPED_AT_2 = "در نوبت ۲ متوقف شد"


def buttons(message) -> str:
    return " | ".join(message.button_texts)


def current(w: World, user, message):
    """The message as the chat shows it now (after any edits)."""
    return w.fake.messages[(user.user_id, message.message_id)]


def set_clock(service, clock: Callable[[], datetime]) -> None:
    deps = getattr(service, "deps", None)
    if deps is not None:  # the collaborators share one clock
        deps.clock = clock
    else:  # the service before them kept its clock in one attribute
        service._clock = clock


async def plan_stopped_at_batch_2(w: World):
    """Plan 10/10/5 approved; batch 2 refused (422): the plan stops. Returns the people,
    their plan cards and the batch rows."""
    alice, bob, _, card = await approved_plan(w)
    request = (await w.store.list_pending_requests())[-1]
    w.sandbox.state.fail_next("/api/send", "422", skip=1)
    await bob.press(card, "تأیید و ارسال")
    alice_card = await until_plain(w, alice, STOPPED_AT_2)
    bob_card = await until_plain(w, bob, STOPPED_AT_2)
    assert w.sends == 2
    rows = await w.store.list_plan_batches(f"r{request.id}")
    return alice, bob, alice_card, bob_card, request, rows


async def restart_with(w: World, clock: Callable[[], datetime] | None = None, **overrides) -> None:
    """Stop the bot; start it again on the same DATA_DIR with changed settings, and (for
    "the time passed while it was down") the service's clock moved before start-up runs."""
    await stop_bot(w.app)
    if overrides:
        w.settings = world_settings(w.fake, w.sandbox, w.data_dir, w.secret, **overrides)
    if clock is None:
        w.app = await start_bot(w.settings)
        return
    from cryptography.fernet import Fernet, MultiFernet

    app = build_application(w.settings, MultiFernet([Fernet(w.secret)]))
    set_clock(app.services.broadcasts, clock)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1, drop_pending_updates=False)
    w.app = app


async def test_retry_on_a_stopped_card_after_cancel_remaining_posts_nothing(
    tmp_path: Path,
) -> None:
    """Before: the approver's stopped card kept "retry"; pressing it after the requester
    cancelled the rest POSTed batch 2 and said "#1 scheduled". The cancel summary listed the
    refused batch as "could not be cancelled"."""
    async with bot_world_seeded(tmp_path) as w:
        alice, bob, alice_card, bob_card, _, rows = await plan_stopped_at_batch_2(w)
        retry_data = f"rt:{rows[1].id}"
        assert any(
            b.get("callback_data") == retry_data for r in bob_card.inline_keyboard for b in r
        )
        await alice.press(alice_card, "لغو نوبت‌های باقی‌مانده")
        summary = await until_plain(w, alice, "لغوشده: ۱", after=alice_card.message_id)
        # the stale retry button on the approver's card, pressed anyway: nothing is posted
        await bob.press_data(bob_card.message_id, retry_data, chat_id=bob.user_id)
        await w.settle()
        assert w.sends == 2
        await until_plain(w, bob, "هیچ نوبتی از آن دیگر فرستاده نمی‌شود", after=bob_card.message_id)
        text = plain(summary.text)
        assert "لغو نشد (کمتر از ۵ دقیقه مانده یا IPPanel نپذیرفت): —" in text
        assert "نپذیرفته، فرستاده‌نشده: ۲" in text
        # both plan cards are edited in place: halted, no live cancel or retry button
        for user, card in ((alice, alice_card), (bob, bob_card)):
            await w.until(lambda u=user, c=card: "لغو شد" in plain(current(w, u, c).text))
            edited = current(w, user, card)
            assert "لغو نوبت‌های باقی‌مانده" not in buttons(edited)
            assert "تلاش دوباره" not in buttons(edited)
        assert (await w.store.get_broadcast(rows[1].id)).state == BroadcastState.FAILED


async def test_cancel_from_a_retried_batch_card_cancels_that_batch_and_says_so(
    tmp_path: Path,
) -> None:
    """Before: the retried batch's card offered "cancel scheduled send", which cancelled only
    batch 2 and replied "#1 was cancelled and will not go out" while batch 1 stayed
    scheduled. Now it names the batch, shows the rest of the plan and offers to cancel it;
    and "continue" goes on past the cancelled batch."""
    async with bot_world_seeded(tmp_path) as w:
        alice, _, alice_card, _, _, rows = await plan_stopped_at_batch_2(w)
        await alice.press(alice_card, "تلاش دوباره")
        retried = await until_plain(w, alice, "نوبت ۲ از #", after=alice_card.message_id)
        assert w.sends == 3
        await alice.press(retried, "لغو نوبت ۲")
        told = await until_plain(w, alice, "لغو شد و فرستاده نمی‌شود", after=retried.message_id)
        text = plain(told.text)
        assert "نوبت ۲ از #" in text and "ارسال #" not in text
        assert "زمان‌بندی‌شده: ۱" in text and "لغوشده: ۱" in text  # the rest of the plan
        assert "لغو نوبت‌های باقی‌مانده" in buttons(told)
        sends = list(w.sandbox.state.sends.values())
        assert [s.state_id for s in sends] == [5, 7]  # batch 1 still scheduled at the panel
        # the rest of the approved plan can still go: continue posts batch 3
        await alice.press(told, "ادامهٔ برنامه")
        await until_plain(w, alice, "هر ۳ نوبت", after=told.message_id)
        assert w.sends == 4
        assert [s.params[0]["start"] for s in w.sandbox.state.sends.values()] == ["1", "11", "21"]
        _ = rows


async def test_retried_batch_card_is_a_batch_card(tmp_path: Path) -> None:
    """Before: the retried batch's card showed the plan's first time and offered "send
    again" and "save this text", as if it were a whole broadcast."""
    async with bot_world_seeded(tmp_path) as w:
        alice, bob, alice_card, _, request, _ = await plan_stopped_at_batch_2(w)
        plan = request.snapshot.plan
        assert plan is not None
        await alice.press(alice_card, "تلاش دوباره")
        card = await until_plain(w, alice, "نوبت ۲ از #", after=alice_card.message_id)
        bob_card = await until_plain(w, bob, "نوبت ۲ از #")
        for shown in (card, bob_card):
            text = plain(shown.text)
            assert "ردیف ۱۱–۲۰" in text and "گیرندگان این نوبت: ۱۰ نفر" in text
            assert "ارسال دوباره" not in buttons(shown) and "ذخیرهٔ این متن" not in buttons(shown)
        from bot.jalali import format_jalali

        own = plain(format_jalali(plan.batches[1].send_at, w.settings.tz, "fa"))
        first = plain(format_jalali(plan.batches[0].send_at, w.settings.tz, "fa"))
        assert own in plain(card.text) and first not in plain(card.text)


async def test_continue_after_a_refused_batch_says_what_comes_first_and_offers_it(
    tmp_path: Path,
) -> None:
    """Before: "continue the plan" after a refused batch posted nothing and showed the same
    stopped card again, without a word on the way out."""
    async with bot_world_seeded(tmp_path) as w:
        alice, _, alice_card, _, _, _ = await plan_stopped_at_batch_2(w)
        await alice.press(alice_card, "ادامهٔ برنامه")
        told = await until_plain(w, alice, "نخست نوبت ۲", after=alice_card.message_id)
        assert "تلاش دوبارهٔ نوبت ۲" in buttons(told)
        assert w.sends == 2
        await alice.press(told, "تلاش دوبارهٔ نوبت ۲")
        retried = await until_plain(w, alice, "نوبت ۲ از #", after=told.message_id)
        # the plan's own card is redrawn: batch 2 is scheduled now, continue sends the rest
        await w.until(lambda: "بقیه را می‌فرستد" in plain(current(w, alice, alice_card).text))
        assert "تلاش دوبارهٔ نوبت ۲" not in buttons(current(w, alice, alice_card))
        await alice.press(retried, "ادامهٔ برنامه")
        await until_plain(w, alice, "هر ۳ نوبت", after=retried.message_id)
        assert w.sends == 4  # 1, refused 2, retried 2, 3


async def test_batch_time_passed_while_down_offers_continue_from_now(tmp_path: Path) -> None:
    """Before: a batch whose time passed while the bot was down left the plan stuck with
    only "progress" and "cancel remaining"; the approved rows needed a new request."""
    async with bot_world_seeded(tmp_path) as w:
        alice, bob, _, card = await approved_plan(w)
        request = (await w.store.list_pending_requests())[-1]
        plan = request.snapshot.plan
        assert plan is not None
        await approve_plan_killed_after_batch_1(w, bob, card)
        later = plan.batches[1].send_at + timedelta(minutes=2)
        await restart_with(w, clock=lambda: later)
        told = await until_plain(w, alice, "زمان نوبت ۲ گذشته")
        assert "ادامه از اکنون" in buttons(told)
        assert w.sends == 1
        await alice.press(told, "ادامه از اکنون")
        ask = await until_plain(w, alice, "زمان‌های تازه", after=told.message_id)
        assert w.sends == 1  # shown first, posted only once confirmed
        await alice.press(ask, "تأیید زمان‌های تازه")
        await until_plain(w, alice, "هر ۳ نوبت", after=ask.message_id)
        assert w.sends == 3
        times = [s.send_time for s in w.sandbox.state.sends.values()]
        assert times[0] == plan.batches[0].send_at  # batch 1 kept its approved time
        assert times[1] is not None and times[1].replace(tzinfo=UTC) > later
        assert times[2] - times[1] == timedelta(minutes=15)  # the spacing kept


async def test_removed_approvers_approval_does_not_post_on_resume(tmp_path: Path) -> None:
    """Before: killed between batch 1 and 2, the approver removed from APPROVER_IDS,
    restarted: resume posted batches 2 and 3 on the removed approver's approval."""
    async with bot_world_seeded(tmp_path) as w:
        alice, bob, _, card = await approved_plan(w)
        request = (await w.store.list_pending_requests())[-1]
        await approve_plan_killed_after_batch_1(w, bob, card)
        await restart_with(w, approver_ids=f"{alice.user_id},1003")  # bob removed
        await w.settle()
        assert w.sends == 1
        rows = await w.store.list_plan_batches(f"r{request.id}")
        assert [r.batch_no for r in rows] == [1]
        await until_plain(w, alice, "تأیید")  # told why the plan does not go on
        assert any("دیگر کافی نیست" in plain(m.text) for m in alice.messages())


async def test_removed_approvers_approval_does_not_post_on_retry(tmp_path: Path) -> None:
    async with bot_world_seeded(tmp_path) as w:
        alice, _, alice_card, _, _, rows = await plan_stopped_at_batch_2(w)
        await restart_with(w, approver_ids=f"{alice.user_id},1003")  # bob removed
        await alice.press(alice_card, "تلاش دوباره")
        await w.settle()
        assert w.sends == 2
        await until_plain(w, alice, "دیگر کافی نیست", after=alice_card.message_id)
        assert (await w.store.get_broadcast(rows[1].id)).state == BroadcastState.FAILED


async def test_removed_approvers_approval_does_not_post_on_send_it_now(tmp_path: Path) -> None:
    async with bot_world_seeded(tmp_path) as w:
        alice, bob, _, card = await approved_plan(w)
        store = w.app.services.store

        async def store_fails(**kw):
            raise RuntimeError("the store failed between the approval and the row")

        store.start_broadcast = store_fails
        await bob.press(card, "تأیید و ارسال")
        await w.settle()
        assert w.sends == 0
        await restart_with(w, approver_ids=f"{alice.user_id},1003")  # bob removed
        stranded = await until_text(w, alice, "ارسال")
        stranded = next(m for m in reversed(alice.messages()) if "ارسال" in buttons(m))
        await alice.press(stranded, stranded.button_texts[0])
        await w.settle()
        assert w.sends == 0
        await until_plain(w, alice, "دیگر کافی نیست", after=stranded.message_id)


async def test_plan_halted_mark_is_stored_with_the_batches(tmp_path: Path) -> None:
    """Before: "cancelled by a person" lived in the conversation persistence table."""
    async with bot_world_seeded(tmp_path) as w:
        alice, _, alice_card, _, request, _ = await plan_stopped_at_batch_2(w)
        await alice.press(alice_card, "لغو نوبت‌های باقی‌مانده")
        await until_plain(w, alice, "لغوشده: ۱", after=alice_card.message_id)
        import sqlite3

        conn = sqlite3.connect(f"file:{w.settings.database_path}?mode=ro", uri=True)
        try:
            marks = conn.execute(
                "SELECT COUNT(*) FROM persistence WHERE namespace = 'plan_halted'"
            ).fetchone()[0]
            state = conn.execute(
                "SELECT state, halted_by FROM plans WHERE plan_key = ?", (f"r{request.id}",)
            ).fetchone()
        finally:
            conn.close()
        assert marks == 0
        assert tuple(state) == ("halted", alice.user_id)


def bot_world_seeded(tmp_path: Path):
    from tests.harness import bot_world

    return bot_world(tmp_path, sandbox_seed=SEED)


_ = restart


async def test_a_batch_credit_refusal_shows_that_batchs_cost(tmp_path: Path) -> None:
    """#21 point 4. Before: a batch refused for credit showed the whole plan's cost
    (31,250 rials for a 10-recipient batch of a 25-recipient plan)."""
    async with bot_world_seeded(tmp_path) as w:
        alice, bob, _, card = await approved_plan(w)
        # batch 1 (10 recipients) is paid; batch 2 no longer fits
        w.sandbox.state.accounts["sandbox-key"].credit = 15_000
        await bob.press(card, "تأیید و ارسال")
        told = await until_plain(w, alice, STOPPED_AT_2)
        assert w.sends == 2
        text = plain(told.text)
        assert "هزینهٔ تخمینی این ارسال: ۱۲٬۵۰۰ ریال" in text  # 10 × 1,250
        assert "۳۱٬۲۵۰" not in text  # never the whole plan's 25 × 1,250


async def test_progress_edits_the_plan_card_in_place_one_word_per_state(tmp_path: Path) -> None:
    """#21 points 18 and 15. Before: "🔄 progress" posted a new copy of the plan card, and
    a refused batch's line said "ارسال‌نشده" while the counter above said "ناموفق"."""
    async with bot_world_seeded(tmp_path) as w:
        alice, _, alice_card, _, _, _ = await plan_stopped_at_batch_2(w)
        text = plain(alice_card.text)
        assert "ناموفق: ۱" in text and "· ناموفق" in text  # counter and batch line agree
        assert "ارسال‌نشده" not in text
        before = len(alice.messages())
        press = await alice.press(alice_card, "پیشرفت برنامه")
        await alice.answer_of(press)
        await w.settle()
        assert len(alice.messages()) == before  # edited in place, no copy
        assert STOPPED_AT_2 in plain(current(w, alice, alice_card).text)
        assert w.sends == 2


async def test_interrupted_batch_is_named_and_continue_says_check_it_first(tmp_path: Path) -> None:
    """Batch 2's outcome unknown: "continue" says to check that batch first, offers the
    check and "not sent", and posts nothing. A crash during its POST: at start-up both
    admins are told about *batch 2* (its rows and time), with its own buttons only."""
    async with bot_world_seeded(tmp_path) as w:
        alice, bob, _, card = await approved_plan(w)
        request = (await w.store.list_pending_requests())[-1]
        w.sandbox.state.fail_next("/api/send", "500", skip=1)
        await bob.press(card, "تأیید و ارسال")
        stopped = await until_plain(w, alice, STOPPED_AT_2)
        assert w.sends == 2
        await alice.press(stopped, "ادامهٔ برنامه")
        first = await until_plain(w, alice, "نخست نتیجهٔ نوبت ۲", after=stopped.message_id)
        assert "بررسی وضعیت" in buttons(first) and "ارسال نشده" in buttons(first)
        await w.settle()
        assert w.sends == 2
        # the process dies during batch 2's POST (its row is left "sending")
        rows = await w.store.list_plan_batches(f"r{request.id}")
        await stop_bot(w.app)
        import sqlite3

        conn = sqlite3.connect(w.settings.database_path)
        with conn:
            conn.execute("UPDATE broadcasts SET state = 'sending' WHERE id = ?", (rows[1].id,))
        conn.close()
        w.app = await start_bot(w.settings)
        told = await until_plain(w, alice, "نوبت ۲ از #", after=first.message_id)
        await until_plain(w, bob, "نوبت ۲ از #")
        assert "ردیف ۱۱–۲۰" in plain(told.text)
        assert "ارسال دوباره" not in buttons(told) and "ذخیرهٔ این متن" not in buttons(told)
        assert "بررسی وضعیت" in buttons(told)
        assert w.sends == 2


async def test_refused_batch_whose_time_passed_goes_on_from_now(tmp_path: Path) -> None:
    """A refused batch whose own time has passed cannot be retried as it was, and
    "continue" asked to retry it first: a dead end. Now both lead to "continue from now",
    which re-posts that batch and the rest at new times, once confirmed."""
    async with bot_world_seeded(tmp_path) as w:
        alice, _, alice_card, _, request, rows = await plan_stopped_at_batch_2(w)
        plan = request.snapshot.plan
        assert plan is not None
        later = plan.batches[1].send_at + timedelta(minutes=2)
        set_clock(w.app.services.broadcasts, lambda: later)
        await alice.press(alice_card, "تلاش دوبارهٔ نوبت ۲")
        ask = await until_plain(w, alice, "زمان‌های تازه", after=alice_card.message_id)
        assert w.sends == 2
        assert "۲. " in plain(ask.text) and "۳. " in plain(ask.text)  # batches 2 and 3
        await alice.press(alice_card, "ادامهٔ برنامه")
        again = await until_plain(w, alice, "زمان‌های تازه", after=ask.message_id)
        await alice.press(again, "تأیید زمان‌های تازه")
        await until_plain(w, alice, "هر ۳ نوبت", after=again.message_id)
        assert w.sends == 4  # 1, refused 2, 2 again at its new time, 3
        sends = list(w.sandbox.state.sends.values())
        assert [s.params[0]["start"] for s in sends] == ["1", "11", "21"]
        assert sends[1].send_time.replace(tzinfo=UTC) > later
        assert sends[2].send_time - sends[1].send_time == timedelta(minutes=15)
        assert (await w.store.get_broadcast(rows[1].id)).attempts == 2


async def test_continue_posts_in_the_background_and_says_so_at_once(tmp_path: Path) -> None:
    """The pressing admin is told at once that the plan goes on; the POSTs are not made
    inside the press's handler: while batch 3's POST is slow (1.5 s), the same person's
    next update (/history) is answered before the plan's result arrives."""
    async with bot_world_seeded(tmp_path) as w:
        alice, _, alice_card, _, _, _ = await plan_stopped_at_batch_2(w)
        await alice.press(alice_card, "تلاش دوبارهٔ نوبت ۲")
        retried = await until_plain(w, alice, "نوبت ۲ از #", after=alice_card.message_id)
        assert w.sends == 3
        w.sandbox.state.fail_next("/api/send", "accept_then_hang", delay=1.5)
        await alice.press(retried, "ادامهٔ برنامه")
        told = await until_plain(w, alice, "ادامه می‌یابد", after=retried.message_id)
        await alice.send("/history")
        history = await until_plain(w, alice, "ارسال تدریجی ·", after=told.message_id)
        posted = await until_plain(w, alice, "هر ۳ نوبت", after=told.message_id)
        assert history.message_id < posted.message_id  # answered while batch 3 was posting
        assert w.sends == 4


async def test_cancel_remaining_while_a_continued_batch_is_mid_post_cancels_it_too(
    tmp_path: Path,
) -> None:
    """Continue runs in the background; "cancel the remaining" pressed while batch 3's POST
    is in flight waits for it and cancels it too: nothing of the plan is left to go out."""
    async with bot_world_seeded(tmp_path) as w:
        alice, bob, alice_card, bob_card, _, _ = await plan_stopped_at_batch_2(w)
        await alice.press(alice_card, "تلاش دوبارهٔ نوبت ۲")
        retried = await until_plain(w, alice, "نوبت ۲ از #", after=alice_card.message_id)
        w.sandbox.state.fail_next("/api/send", "accept_then_hang", delay=1.0)
        await alice.press(retried, "ادامهٔ برنامه")
        await w.until(lambda: w.sends == 4)  # batch 3 reached the panel; no answer yet
        await bob.press(bob_card, "لغو نوبت‌های باقی‌مانده")
        told = await until_plain(w, bob, "دیگر هرگز فرستاده نمی‌شوند", after=bob_card.message_id)
        assert "لغوشده: ۱، ۲، ۳" in plain(told.text)
        await w.settle()
        assert w.sends == 4
        assert all(s.state_id == 7 for s in w.sandbox.state.sends.values())


async def test_retry_after_the_requester_was_removed_says_so_and_posts_nothing(
    tmp_path: Path,
) -> None:
    async with bot_world_seeded(tmp_path) as w:
        _, bob, _, bob_card, _, _ = await plan_stopped_at_batch_2(w)
        await restart_with(w, admin_ids="1002,1003", approver_ids="1002,1003")  # alice removed
        await bob.press(bob_card, "تلاش دوبارهٔ نوبت ۲")
        await w.settle()
        assert w.sends == 2
        await until_plain(w, bob, "دیگر مدیر نیست", after=bob_card.message_id)


async def test_send_it_now_on_a_plan_whose_first_batch_time_passed_says_so(
    tmp_path: Path,
) -> None:
    """An approved plan that never started, "send it now" pressed after its first batch's
    time: nothing is posted "now", and the message names the plan (not "#?")."""
    async with bot_world_seeded(tmp_path) as w:
        alice, bob, _, card = await approved_plan(w)
        request = (await w.store.list_pending_requests())[-1]
        plan = request.snapshot.plan
        assert plan is not None

        async def store_fails(**kw):
            raise RuntimeError("the store failed between the approval and the row")

        w.app.services.store.start_broadcast = store_fails
        await bob.press(card, "تأیید و ارسال")
        await w.settle()
        later = plan.batches[0].send_at + timedelta(minutes=2)
        await restart_with(w, clock=lambda: later)
        await w.settle()
        stranded = next(m for m in reversed(alice.messages()) if m.button_texts)
        await alice.press(stranded, stranded.button_texts[0])
        told = await until_plain(w, alice, "گذشته است و چیزی از آن", after=stranded.message_id)
        assert "too_late" not in told.text
        assert f"#{request.number}" in plain(told.text)
        await w.settle()
        assert w.sends == 0
