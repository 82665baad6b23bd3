"""The month's budget (#22): Jalali months, plans counted batch by batch, and a request that
would cross the budget asks one approval more (or is refused with BUDGET_HARD)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jdatetime

from bot.domain import Snapshot, SpendRow
from bot.guardrails.budget import (
    Spend,
    check_budget,
    month_of,
    month_start,
    spend_of_snapshot,
    spent_items,
)
from bot.guardrails.lines import budget_lines, millions
from bot.plans import make_plan
from tests.flows import compose, plain
from tests.harness import bot_world, set_key, start_all, until_text

TEHRAN = ZoneInfo("Asia/Tehran")
MILLION = 1_000_000


def jalali(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    g = jdatetime.datetime(y, m, d, hh, mm).togregorian()
    return g.replace(tzinfo=TEHRAN)


def test_the_month_rolls_over_at_the_first_of_a_jalali_month_tehran_time() -> None:
    last_minute = jalali(1405, 9, 30, 23, 59)
    first = jalali(1405, 10, 1, 0, 0)
    assert month_of(last_minute, TEHRAN) == (1405, 9)
    assert month_of(first, TEHRAN) == (1405, 10)
    assert month_start(last_minute, TEHRAN) == jalali(1405, 9, 1)
    assert month_start(first, TEHRAN) == first
    # 00:10 Tehran on the first is still the previous day in UTC: Tehran decides
    assert month_of(jalali(1405, 10, 1, 0, 10).astimezone(UTC), TEHRAN) == (1405, 10)
    spent = [Spend(last_minute, 15 * MILLION)]
    # last month's spend is not this month's: a new month starts at zero
    assert check_budget(20 * MILLION, spent, [], first, TEHRAN).spent == 0
    assert check_budget(20 * MILLION, spent, [], last_minute, TEHRAN).spent == 15 * MILLION


def test_crossing_says_by_how_much() -> None:
    now = jalali(1405, 9, 20, 12)
    spent = [Spend(now - timedelta(days=3), 12.4 * MILLION)]
    under = check_budget(20 * MILLION, spent, [Spend(now, 5 * MILLION)], now, TEHRAN)
    assert not under.crosses
    over = check_budget(20 * MILLION, spent, [Spend(now, 10 * MILLION)], now, TEHRAN)
    assert over.crosses and over.over_by == 2.4 * MILLION
    assert budget_lines(over, "fa").startswith("💰 این ماه: ۱۲٫۴ از ۲۰ میلیون ریال")
    assert "از بودجهٔ ماه" in budget_lines(over, "fa")
    assert millions(12_400_000, "en") == "12.4" and millions(20 * MILLION, "fa") == "۲۰"


def test_a_plan_counts_each_batch_in_the_month_it_is_scheduled() -> None:
    # 4 batches a day apart from the 29th of Azar (month 9) at noon: 2 in Azar, 2 in Dey
    plan = make_plan("pb", 1, 400, 100, 24 * 60, jalali(1405, 9, 29, 12))
    snapshot = Snapshot.from_dict({"plan": plan.to_dict(), "send_at": plan.first_at.isoformat()})
    items = spend_of_snapshot(snapshot, 8 * MILLION, plan.first_at)
    assert [month_of(i.at, TEHRAN) for i in items] == [(1405, 9), (1405, 9), (1405, 10), (1405, 10)]
    assert sum(i.cost for i in items) == 8 * MILLION
    # this month's check sees only Azar's half of the plan
    check = check_budget(20 * MILLION, [], items, jalali(1405, 9, 29, 8), TEHRAN)
    assert check.adding == 4 * MILLION
    # a stored plan batch row counts its own share, at its own time (the store reads both:
    # tests/storage/test_year_of_use.py)
    batch = plan.batches[2]
    row = SpendRow(1, 1, batch.send_at, None, {"cost_high": 8 * MILLION}, batch.size / plan.rows)
    [spend] = spent_items([row], [])
    assert spend.cost == 2 * MILLION and month_of(spend.at, TEHRAN) == (1405, 10)


# ------------------------------------------------------------------ end to end

BIG = {"contacts_per_book": 10_000}  # 10,000 recipients: 12.5 million rials at the sandbox


async def approve_one(w, alice, bob) -> None:
    review = await compose(w, alice)
    await alice.press(review, "ارسال برای تأیید")
    card = await until_text(w, bob, "درخواست ارسال")
    await bob.press(card, "تأیید و ارسال")
    await until_text(w, alice, "شناسه‌های ارسال")


async def test_crossing_the_budget_asks_one_approval_more(tmp_path: Path) -> None:
    async with bot_world(tmp_path, sandbox_seed=BIG, monthly_budget_rials=20 * MILLION) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        await start_all(w, bob, carol)
        await set_key(w, alice)
        review = await compose(w, alice)
        assert "این ماه: ۰ از ۲۰ میلیون ریال؛ با این درخواست: ۱۲٫۵" in plain(review.text)
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        assert "این ماه: ۰ از ۲۰ میلیون ریال" in plain(card.text)
        first = (await w.store.list_pending_requests())[-1]
        assert first.approvals_needed == 1
        await bob.press(card, "تأیید و ارسال")
        await until_text(w, alice, "شناسه‌های ارسال")

        review = await compose(w, alice, text="دومین پیام همین ماه")
        text = plain(review.text)
        assert "این ماه: ۱۲٫۵ از ۲۰ میلیون ریال؛ با این درخواست: ۲۵" in text
        assert "این درخواست از بودجهٔ ماه ۵٬۰۰۰٬۰۰۰ ریال بیشتر می‌شود" in text
        await alice.press(review, "ارسال برای تأیید")
        await until_text(w, alice, "برای تأیید فرستاده شد", after=review.message_id)
        second = (await w.store.list_pending_requests())[-1]
        assert second.approvals_needed == first.approvals_needed + 1 == 2
        card = await until_text(w, carol, "درخواست ارسال #2")
        assert "این درخواست از بودجهٔ ماه ۵٬۰۰۰٬۰۰۰ ریال بیشتر می‌شود" in plain(card.text)
        assert "یک تأیید بیشتر برای گذشتن از بودجهٔ ماه" in card.text

        await alice.send("/credit")
        credit = await until_text(w, alice, "هزینهٔ این ماه")
        assert "هزینهٔ این ماه (ارسال‌شده و زمان‌بندی‌شده): ۱۲٫۵ از ۲۰ میلیون ریال" in credit.text


async def test_budget_hard_refuses_a_crossing_request(tmp_path: Path) -> None:
    async with bot_world(
        tmp_path, sandbox_seed=BIG, monthly_budget_rials=20 * MILLION, budget_hard="true"
    ) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        await approve_one(w, alice, bob)
        review = await compose(w, alice, text="دومین پیام همین ماه")
        assert "پذیرفته نمی‌شود" in review.text
        await alice.press(review, "ارسال برای تأیید")
        refused = await until_text(w, alice, "درخواست فرستاده نشد")
        assert "از بودجهٔ ماه ۵٬۰۰۰٬۰۰۰ ریال بیشتر" in plain(refused.text)
        assert await w.store.list_pending_requests() == []
        assert w.sends == 1
