"""The follow-up after a send (#22): one message to the requester and each approver who
approved, with a warning when little was delivered; scheduled in the store, sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.guardrails.follow_up import summarize
from bot.ippanel import BulkReport, OperatorStats
from handlers.follow_up import run_follow_ups
from tests.flows import approved_plan, compose, plain, until_plain
from tests.harness import World, bot_world, count_rows, restart, set_key, start_all, until_text

# the sandbox reports 40 % of every operator's numbers failed: 60 % delivered
SIXTY = {"failed_share": {"mci": 0.4, "irancell": 0.4}}
HEADING = "پیگیری ارسال #"


def report(cost: float) -> BulkReport:
    return BulkReport(None, None, 6, 10, 10, cost, 1, None)


def test_the_share_and_the_operator_that_failed_most() -> None:
    ops = {
        "mci": OperatorStats(sent=60, delivered=55, failed=5),
        "irancell": OperatorStats(sent=40, delivered=20, failed=15, pending=5),
    }
    s = summarize(ops, [report(1000), report(500)])
    assert (s.delivered, s.failed, s.pending, s.total) == (75, 20, 5, 100)
    assert s.share == 75 and s.low(80) and not s.low(70)
    assert (s.worst, s.worst_failed, s.charged) == ("irancell", 15, 1500)
    assert summarize({}, []).low(80) is False  # nothing counted yet: no alarm


def follow_ups(w: World, user) -> list:
    return [m for m in user.messages() if HEADING in (m.text or "")]


async def sent_once(w: World):
    alice, bob = w.admin(0), w.admin(1)
    await start_all(w, bob)
    await set_key(w, alice)
    review = await compose(w, alice)
    await alice.press(review, "ارسال برای تأیید")
    card = await until_text(w, bob, "درخواست ارسال")
    await bob.press(card, "تأیید و ارسال")
    await until_text(w, alice, "شناسه‌های ارسال")
    return alice, bob


async def test_a_poorly_delivered_send_gets_one_follow_up_each_with_a_warning(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path, sandbox_seed=SIXTY, follow_up_minutes=60) as w:
        alice, bob = await sent_once(w)
        # before the hour is up nothing is said, but the follow-up is in the store
        assert await run_follow_ups(w.app) == 0
        assert count_rows(w, "follow_ups", "state = 'due'") == 1
        later = datetime.now(UTC) + timedelta(minutes=61)
        assert await run_follow_ups(w.app, later) == 1
        for user in (alice, bob):
            await w.until(lambda user=user: len(follow_ups(w, user)) == 1)
            text = plain(follow_ups(w, user)[0].text)
            assert text.startswith("⚠️ فقط ۶۰٪ رسیده است؛ بیشترین نرسیده:")
            assert "رسیده: ۱۵ از ۲۵ (۶۰٪)" in text
            assert "هزینهٔ کسرشده:" in text and "برآورد هنگام تأیید:" in text
            assert "📊 گزارش تحویل" in follow_ups(w, user)[0].button_texts
        assert await run_follow_ups(w.app, later + timedelta(minutes=5)) == 0
        await w.settle()
        assert [len(follow_ups(w, u)) for u in (alice, bob)] == [1, 1]


async def test_a_restart_between_send_and_follow_up_still_tells_exactly_once(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path, sandbox_seed=SIXTY, follow_up_minutes=60) as w:
        alice, bob = await sent_once(w)
        await run_follow_ups(w.app)  # scheduled in the store, not due yet
        await restart(w)
        later = datetime.now(UTC) + timedelta(minutes=61)
        assert await run_follow_ups(w.app, later) == 1
        await restart(w)  # and once more after it was told
        assert await run_follow_ups(w.app, later + timedelta(minutes=1)) == 0
        await w.settle()
        assert [len(follow_ups(w, u)) for u in (alice, bob)] == [1, 1]
        assert count_rows(w, "follow_ups", "state = 'sent'") == 1


async def test_a_well_delivered_send_has_no_warning_and_a_cancelled_one_no_follow_up(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path, follow_up_minutes=60) as w:
        alice, _ = await sent_once(w)
        later = datetime.now(UTC) + timedelta(minutes=61)
        assert await run_follow_ups(w.app, later) == 1
        await w.until(lambda: len(follow_ups(w, alice)) == 1)
        assert not follow_ups(w, alice)[0].text.startswith("⚠️")
        # a send cancelled after it was scheduled is skipped, never told
        await w.store._db.execute("DELETE FROM follow_ups")
        await w.store._db.execute("UPDATE broadcasts SET state = 'cancelled'")
        assert await run_follow_ups(w.app, later) == 0
        assert count_rows(w, "follow_ups") == 0  # a cancelled send is never scheduled


async def test_zero_minutes_turns_follow_ups_off(tmp_path: Path) -> None:
    async with bot_world(tmp_path, follow_up_minutes=0) as w:
        await sent_once(w)
        assert await run_follow_ups(w.app, datetime.now(UTC) + timedelta(days=1)) == 0
        assert count_rows(w, "follow_ups") == 0


async def test_a_plan_is_followed_up_once_after_its_last_batch(tmp_path: Path) -> None:
    seed = {"contacts_per_book": 25, **SIXTY}
    async with bot_world(tmp_path, sandbox_seed=seed, follow_up_minutes=60) as w:
        alice, bob, _, card = await approved_plan(w)
        await bob.press(card, "تأیید و ارسال")
        await until_plain(w, alice, "هر ۳ نوبت")
        rows = await w.store.list_plan_batches(
            f"r{(await w.store.list_broadcasts(alice.user_id))[0].request_id}"
        )
        last = max(r.send_time for r in w.sandbox.state.sends.values())
        # an hour after the first batch the plan has not finished going out: nothing yet
        assert await run_follow_ups(w.app, rows[0].created_at + timedelta(minutes=61)) == 0
        w.sandbox.state.advance((last - datetime.now(UTC)).total_seconds() + 60)
        assert await run_follow_ups(w.app, last + timedelta(minutes=61)) == 1
        assert await run_follow_ups(w.app, last + timedelta(minutes=62)) == 0
        await w.settle()
        for user in (alice, bob):
            [told] = follow_ups(w, user)
            assert f"پیگیری ارسال #{rows[0].number}" in plain(told.text)
            assert "از ۲۵" in plain(told.text)  # the whole plan, every batch
