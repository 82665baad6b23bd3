"""Night hours (#22): the rule, and the flag and the one-tap move through the real bot."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain import Draft, PhonebookSelection, Step
from bot.jalali import format_jalali
from bot.plans import make_plan
from bot.quiet_hours import (
    QuietHours,
    batches_inside,
    night_setting,
    parse_quiet_hours,
    skip_night,
)
from tests.flows import plain, plan_review
from tests.harness import (
    bot_world,
    compose_to_review,
    set_key,
    start_all,
    until_text,
)

TEHRAN = ZoneInfo("Asia/Tehran")
NIGHT = QuietHours(time(22), time(8))


def tehran(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TEHRAN)


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        (tehran(4, 23, 40), True),
        (tehran(5, 7, 59), True),
        (tehran(5, 8, 0), False),
        (tehran(4, 21, 59), False),
        (tehran(4, 22, 0), True),
    ],
)
def test_a_window_over_midnight(when: datetime, inside: bool) -> None:
    assert NIGHT.contains(when.astimezone(UTC), TEHRAN) is inside


def test_the_end_of_the_window_is_the_next_morning() -> None:
    assert NIGHT.end_after(tehran(4, 23, 40), TEHRAN) == tehran(5, 8)
    assert NIGHT.end_after(tehran(5, 6, 10), TEHRAN) == tehran(5, 8)
    assert NIGHT.end_after(tehran(5, 9), TEHRAN) == tehran(5, 9)  # outside: unchanged
    lunch = QuietHours(time(13), time(14))
    assert lunch.contains(tehran(5, 13, 30), TEHRAN)
    assert not lunch.contains(tehran(5, 23), TEHRAN)
    assert lunch.end_after(tehran(5, 13, 30), TEHRAN) == tehran(5, 14)


@pytest.mark.parametrize("bad", ["22-08", "25:00-08:00", "22:00-22:00", "22:00", "ten-eight"])
def test_malformed_windows_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_quiet_hours(bad)


def test_empty_is_off_and_spaces_are_fine() -> None:
    assert parse_quiet_hours("") is None
    assert parse_quiet_hours(" 22:00 - 08:30 ") == QuietHours(time(22), time(8, 30))


def test_skipping_the_night_resumes_batches_at_its_end() -> None:
    plan = make_plan("pb", 1, 50, 10, 60, tehran(4, 20))  # 20:00 … 00:00, hourly
    assert batches_inside(plan, NIGHT, TEHRAN) == 3
    moved = skip_night(plan, NIGHT, TEHRAN)
    times = [b.send_at.astimezone(TEHRAN) for b in moved.batches]
    assert times == [tehran(4, 20), tehran(4, 21), tehran(5, 8), tehran(5, 9), tehran(5, 10)]
    assert [(b.start, b.size) for b in moved.batches] == [(b.start, b.size) for b in plan.batches]
    assert batches_inside(moved, NIGHT, TEHRAN) == 0


def test_a_drafts_skip_is_in_its_snapshot_so_the_approver_approves_those_times() -> None:
    draft = Draft(
        id=1,
        owner_id=7,
        sender="+983000505",
        selections=[PhonebookSelection("pb", "Book", 50)],
        text="سلام",
        send_at=tehran(4, 20).astimezone(UTC),
        step=Step.REVIEW,
        plan={"batch": 10, "every": 60},
    )
    plain_plan = draft.snapshot().plan
    assert plain_plan is not None and batches_inside(plain_plan, NIGHT, TEHRAN) == 3
    draft.plan = {**draft.plan, **night_setting(NIGHT, TEHRAN, draft.send_at)}
    skipped = draft.snapshot().plan
    assert skipped is not None
    assert skipped.batches[2].send_at == tehran(5, 8)
    assert batches_inside(skipped, NIGHT, TEHRAN) == 0


# ------------------------------------------------------------------ end to end


def window_around(start: datetime, end: datetime) -> str:
    a, b = start.astimezone(TEHRAN), end.astimezone(TEHRAN)
    return f"{a:%H:%M}-{b:%H:%M}"


async def test_a_send_inside_quiet_hours_is_flagged_and_moved_by_one_tap(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    start = now - timedelta(hours=1)
    end = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    async with bot_world(tmp_path, quiet_hours=window_around(start, end)) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        assert "در ساعات سکوت شبانه" in review.text
        end_fa = format_jalali(end, TEHRAN, "fa")
        move = f"🌙 ارسال در پایان ساعات سکوت: {end_fa}"
        assert move in review.button_texts
        await alice.press(review, move, exact=True)
        await w.until(lambda: "در ساعات سکوت شبانه" not in (alice.last().text or ""))
        moved = alice.last()
        assert not any("ساعات سکوت" in b for b in moved.button_texts)
        assert end_fa in plain(moved.text)  # the new time, shown in Jalali before submit
        await alice.press(moved, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        assert "ساعات سکوت" not in card.text
        request = (await w.store.list_pending_requests())[-1]
        assert request.snapshot.send_time == end


async def test_the_approver_sees_the_flag_and_nothing_is_moved_without_the_tap(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    end = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    async with bot_world(tmp_path, quiet_hours=window_around(now - timedelta(hours=1), end)) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        assert "اگر الان فرستاده شود" in card.text and "در ساعات سکوت شبانه" in card.text
        request = (await w.store.list_pending_requests())[-1]
        assert request.snapshot.send_at is None  # still "now": only the requester moves it


async def test_a_plan_shows_its_night_batches_and_skips_the_night_on_a_tap(
    tmp_path: Path,
) -> None:
    first = (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)
    start, end = first + timedelta(minutes=10), first + timedelta(minutes=40)
    seed = {"contacts_per_book": 25}  # batches of 10: first, +15 and +30 minutes
    async with bot_world(tmp_path, sandbox_seed=seed, quiet_hours=window_around(start, end)) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await plan_review(w, alice)
        assert "۲ نوبت از ۳ نوبت در ساعات سکوت شبانه است" in plain(review.text)
        skip = next(b for b in review.button_texts if "رد کردن شب" in b)
        await alice.press(review, skip, exact=True)
        skipped = await until_text(w, alice, "منتقل شده‌اند")
        assert "در ساعات سکوت شبانه است" not in skipped.text
        assert format_jalali(end + timedelta(minutes=15), TEHRAN, "fa") in plain(skipped.text)
        await alice.press(skipped, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        assert "در ساعات سکوت شبانه" not in card.text
        request = (await w.store.list_pending_requests())[-1]
        plan = request.snapshot.plan
        assert plan is not None
        assert [b.send_at for b in plan.batches[1:]] == [end, end + timedelta(minutes=15)]
