"""Gradual sending end to end: real PTB against the fake Bot API, the sandbox panel, a
real SQLite file. Every test counts the POSTs to /api/send: one per batch, never more."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

from bot.domain import BroadcastState
from tests.flows import (
    SEED,
    approve_plan_killed_after_batch_1,
    approved_plan,
    plain,
    plan_review,
    until_plain,
)
from tests.harness import (
    bot_world,
    restart,
    set_key,
    until_text,
)


async def test_plan_is_shown_approved_once_and_posted_one_post_per_batch(tmp_path: Path) -> None:
    async with bot_world(tmp_path, sandbox_seed=SEED) as w:
        alice, bob, review, card = await approved_plan(w)
        # the requester's review and the approver's card both show the whole plan
        for shown in (review, card):
            assert "ارسال تدریجی" in plain(shown.text) and "۳ نوبت" in plain(shown.text)
            assert "نوبت اول" in plain(shown.text) and "نوبت آخر" in plain(shown.text)
            assert "نوبت آخر ۵ نفر" in plain(shown.text) and "جمع ۲۵ نفر" in plain(shown.text)
        assert "هزینهٔ تخمینی" in plain(card.text)
        assert w.sends == 0
        await bob.press(card, "تأیید و ارسال")
        done = await until_plain(w, alice, "هر ۳ نوبت")
        await until_plain(w, bob, "هر ۳ نوبت")
        assert w.sends == 3
        posts = [s for s in w.sandbox.state.sends.values()]
        assert [p.params[0]["start"] for p in posts] == ["1", "11", "21"]
        assert [p.params[0]["size"] for p in posts] == ["10", "10", "5"]
        assert [p.recipients for p in posts] == [10, 10, 5]
        gaps = [b.send_time - a.send_time for a, b in itertools.pairwise(posts)]
        assert gaps == [timedelta(minutes=15)] * 2
        rows = await w.store.list_plan_batches(
            f"r{(await w.store.list_broadcasts(alice.user_id))[0].request_id}"
        )
        assert [r.batch_no for r in rows] == [1, 2, 3]
        assert all(r.state == BroadcastState.SENT for r in rows)
        assert "زمان‌بندی‌شده: ۳" in plain(done.text)

        # /history: one line for the plan, with its progress
        await alice.send("/history")
        history = await until_text(w, alice, "ارسال تدریجی ·")
        assert plain(history.text).count("ارسال تدریجی") == 1 and "زمان‌بندی‌شده: ۳" in plain(
            history.text
        )

        # cancel the remaining: all three are at least 5 minutes away
        await alice.press(done, "لغو نوبت‌های باقی‌مانده")
        told = await until_plain(w, alice, "لغوشده: ۱، ۲، ۳")
        await until_plain(w, bob, "لغوشده: ۱، ۲، ۳")
        assert "لغو نشد (کمتر از ۵ دقیقه مانده یا IPPanel نپذیرفت): —" in plain(told.text)
        assert all(s.state_id == 7 for s in w.sandbox.state.sends.values())
        assert w.sends == 3


async def test_provider_error_on_batch_2_stops_the_plan_and_tells_both(tmp_path: Path) -> None:
    async with bot_world(tmp_path, sandbox_seed=SEED) as w:
        alice, bob, _, card = await approved_plan(w)
        w.sandbox.state.fail_next("/api/send", "422", skip=1)
        await bob.press(card, "تأیید و ارسال")
        told = await until_plain(w, alice, "در نوبت ۲ متوقف شد")
        await until_plain(w, bob, "در نوبت ۲ متوقف شد")
        assert "IPPanel این نوبت را نپذیرفت" in plain(told.text)
        # in the provider words every send uses, the raw answer only as the detail line
        assert "نپذیرفت: IPPanel «متن پیام» را نپذیرفت" in plain(told.text)
        assert "زمان‌بندی‌شده: ۱" in plain(told.text) and "ثبت‌نشده: ۱" in plain(told.text)
        assert w.sends == 2  # batch 1 stands, batch 2 refused, batch 3 never posted
        assert len(w.sandbox.state.sends) == 1
        # a person continues: batch 2 failed, so nothing more is posted; the bot says to
        # retry batch 2 first (tests/handlers/test_flow_lifecycle.py follows that path)
        await alice.press(told, "ادامهٔ برنامه")
        await until_plain(w, alice, "نخست نوبت ۲", after=told.message_id)
        assert w.sends == 2


async def test_unknown_batch_stops_the_plan_until_a_person_looks(tmp_path: Path) -> None:
    async with bot_world(tmp_path, sandbox_seed=SEED) as w:
        alice, bob, _, card = await approved_plan(w)
        w.sandbox.state.fail_next("/api/send", "500", skip=0)
        await bob.press(card, "تأیید و ارسال")
        told = await until_plain(w, alice, "در نوبت ۱ متوقف شد")
        assert "معلوم نیست" in plain(told.text)
        assert any("بررسی وضعیت" in b for b in told.button_texts)
        assert w.sends == 1


async def test_phonebook_grows_after_approval_last_batch_size_is_what_was_approved(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path, sandbox_seed=SEED) as w:
        alice, bob, _, card = await approved_plan(w)
        book = next(iter(w.sandbox.state.phonebooks.values()))
        book.count = 40  # 15 contacts added after the approval
        await bob.press(card, "تأیید و ارسال")
        await until_plain(w, alice, "هر ۳ نوبت")
        posts = list(w.sandbox.state.sends.values())
        assert [p.params[0]["size"] for p in posts] == ["10", "10", "5"]
        assert sum(p.recipients for p in posts) == 25  # never the 15 new ones
        assert w.sends == 3


async def test_restart_mid_post_of_batch_2_no_batch_twice_none_lost(tmp_path: Path) -> None:
    async with bot_world(tmp_path, sandbox_seed=SEED) as w:
        alice, bob, _, card = await approved_plan(w)
        request = (await w.store.list_pending_requests())[-1]
        # batch 2's POST hangs (never queued at the panel) and the bot is stopped meanwhile
        w.sandbox.state.fail_next("/api/send", "hang", skip=1, delay=30)
        await bob.press(card, "تأیید و ارسال")
        await w.until(lambda: w.sends == 2)
        await restart(w)
        # batch 2 was in flight: unknown; the plan waits for a person, batch 3 not posted
        rows = await w.store.list_plan_batches(f"r{request.id}")
        assert [(r.batch_no, r.state) for r in rows] == [
            (1, BroadcastState.SENT),
            (2, BroadcastState.UNKNOWN),
        ]
        assert w.sends == 2 and len(w.sandbox.state.sends) == 1
        # the person checks the panel: batch 2 never left; confirms, retries it, continues
        service = w.app.services.broadcasts
        await service.confirm_not_sent(rows[1].id, alice.user_id)
        assert (await service.retry(rows[1].id, alice.user_id)).kind == "sent"
        await alice.send("/history")
        history = await until_text(w, alice, "ارسال تدریجی ·")
        assert "ثبت‌نشده: ۱" in plain(history.text)
        outcome = await service.continue_plan(rows[0].id, alice.user_id)
        assert outcome is not None and outcome.kind == "posted"
        assert w.sends == 4  # 1, the hung 2, the retried 2, 3
        starts = sorted(int(p.params[0]["start"]) for p in w.sandbox.state.sends.values())
        assert starts == [1, 11, 21]  # at the panel: each batch exactly once


async def test_restart_between_batches_resumes_by_itself(tmp_path: Path) -> None:
    async with bot_world(tmp_path, sandbox_seed=SEED) as w:
        alice, bob, _, card = await approved_plan(w)
        request = (await w.store.list_pending_requests())[-1]
        await approve_plan_killed_after_batch_1(w, bob, card)
        await restart(w)
        await until_plain(w, alice, "هر ۳ نوبت")
        await until_plain(w, bob, "هر ۳ نوبت")
        assert w.sends == 3
        rows = await w.store.list_plan_batches(f"r{request.id}")
        assert [r.batch_no for r in rows] == [1, 2, 3]
        starts = [p.params[0]["start"] for p in w.sandbox.state.sends.values()]
        assert starts == ["1", "11", "21"]


async def test_late_batch_is_not_posted_as_now(tmp_path: Path) -> None:
    async with bot_world(tmp_path, sandbox_seed=SEED) as w:
        alice, bob, _, card = await approved_plan(w)
        request = (await w.store.list_pending_requests())[-1]
        plan = request.snapshot.plan
        assert plan is not None
        service = w.app.services.broadcasts
        # the clock reaches batch 2's time while batch 1 is being posted
        real_send = service.poster.post

        async def slow(b):
            outcome = await real_send(b)
            late = plan.batches[1].send_at
            service.deps.clock = lambda: late
            return outcome

        service.poster.post = slow
        await bob.press(card, "تأیید و ارسال")
        told = await until_plain(w, alice, "زمان نوبت ۲ گذشته")
        assert "ثبت‌نشده: ۲" in plain(told.text)
        assert w.sends == 1


async def test_plan_with_approvals_off_posts_each_batch_once_even_on_a_double_tap(
    tmp_path: Path,
) -> None:
    """Approvals off: the plan is sent from the review; its batches are keyed by draft and
    version (``d<draft>:<version>``), so a second tap on the same review posts nothing."""
    async with bot_world(tmp_path, sandbox_seed=SEED, approvals_required="0") as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await plan_review(w, alice)
        assert "ارسال تدریجی" in plain(review.text) and "۳ نوبت" in plain(review.text)
        send = next(b for b in review.button_texts if b.startswith("✅"))
        first = await alice.press(review, send, exact=True)
        second = await alice.press_data(review.message_id, "v:submit")  # the same tap again
        await until_plain(w, alice, "هر ۳ نوبت")
        await w.settle()
        assert w.sends == 3
        assert [p.params[0]["start"] for p in w.sandbox.state.sends.values()] == ["1", "11", "21"]
        [plan_key] = {b.plan_key for b in await w.store.list_broadcasts(alice.user_id)}
        assert plan_key is not None and plan_key.startswith("d")  # keyed by draft and version
        rows = await w.store.list_plan_batches(plan_key)
        assert [r.batch_no for r in rows] == [1, 2, 3]
        assert len({r.number for r in rows}) == 1  # one public number for the whole plan
        await alice.answer_of(first)
        await alice.answer_of(second)
        assert w.sends == 3
