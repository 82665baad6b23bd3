"""Gradual sending's arithmetic (bot/plans.py): batches cover exactly the approved rows,
the last batch is never larger than what is left, times are UTC, Tehran-shown, and plans
may run past midnight and past 24 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import Draft, PhonebookSelection
from bot.jalali import format_jalali
from bot.plans import PlanError, make_plan, plan_for, provider_time

TEHRAN = ZoneInfo("Asia/Tehran")
T0 = datetime(2026, 12, 1, 18, 0, tzinfo=TEHRAN)


def test_20000_in_500s_is_40_batches_covering_every_row_once() -> None:
    plan = make_plan("7", 1, 20_000, 500, 30, T0)
    assert len(plan.batches) == 40
    assert [b.start for b in plan.batches[:3]] == [1, 501, 1001]
    assert all(b.size == 500 for b in plan.batches)
    rows = [r for b in plan.batches for r in range(b.start, b.last + 1)]
    assert rows == list(range(1, 20_001))
    assert plan.last_at - plan.first_at == timedelta(minutes=30 * 39)


@pytest.mark.parametrize(
    ("first", "rows", "batch"), [(1, 1001, 500), (101, 250, 100), (7, 9, 10), (1, 10, 10)]
)
def test_last_batch_is_exactly_the_remainder_never_past_the_range(first, rows, batch) -> None:
    plan = make_plan("7", first, rows, batch, 15, T0)
    assert sum(b.size for b in plan.batches) == rows
    assert plan.batches[-1].last == first + rows - 1
    assert all(0 < b.size <= batch for b in plan.batches)
    assert plan.batches[0].start == first


def test_slice_plan_starts_at_the_slice_and_params_carry_start_and_size() -> None:
    sel = PhonebookSelection("9", "B", count=5000, mode="slice", start=1001, size=1200)
    plan = plan_for([sel], 500, 60, T0)
    assert [(b.start, b.size) for b in plan.batches] == [(1001, 500), (1501, 500), (2001, 200)]
    assert plan.params_for(3) == [
        {"type": "all", "phonebook_ids": ["9"], "start": "2001", "size": "200"}
    ]


def test_send_time_is_utc_in_the_contract_format() -> None:
    plan = make_plan("7", 1, 1000, 500, 30, T0)
    # 18:00 Tehran (+03:30) is 14:30 UTC
    assert provider_time(plan.batches[0].send_at) == "2026-12-01 14:30:00"
    assert provider_time(plan.batches[1].send_at) == "2026-12-01 15:00:00"
    assert plan.batches[0].send_at.tzinfo == UTC


def test_batches_crossing_midnight_show_the_next_jalali_day() -> None:
    start = datetime(2026, 12, 1, 23, 30, tzinfo=TEHRAN)  # 1405/09/10
    plan = make_plan("7", 1, 1500, 500, 30, start)
    shown = [format_jalali(b.send_at, TEHRAN, "en") for b in plan.batches]
    assert shown == ["1405/09/10 23:30", "1405/09/11 00:00", "1405/09/11 00:30"]


def test_a_plan_longer_than_24_hours() -> None:
    plan = make_plan("7", 1, 30_000, 500, 60, T0)  # 60 batches, one an hour
    assert plan.last_at - plan.first_at == timedelta(hours=59)
    assert format_jalali(plan.last_at, TEHRAN, "en") == "1405/09/13 05:00"


def test_refusals() -> None:
    two = [PhonebookSelection("1", "A", 10), PhonebookSelection("2", "B", 10)]
    for selections, reason in (
        (two, "several"),
        ([PhonebookSelection("1", "A", 10, mode="contacts", contact_ids=["1"])], "several"),
    ):
        with pytest.raises(PlanError) as caught:
            plan_for(selections, 500, 30, T0)
        assert caught.value.reason == reason
    with pytest.raises(PlanError, match="no_time"):
        plan_for([PhonebookSelection("1", "A", 10)], 500, 30, None)
    with pytest.raises(PlanError, match="batch"):
        make_plan("1", 1, 100, 5, 30, T0)
    with pytest.raises(PlanError, match="every"):
        make_plan("1", 1, 100, 50, 1, T0)
    with pytest.raises(PlanError, match="too_many"):
        make_plan("1", 1, 1_000_000, 100, 30, T0)


def test_the_plan_is_in_the_snapshot_and_round_trips() -> None:
    draft = Draft(
        1, 2, sender="+983000505", text="x", selections=[PhonebookSelection("7", "A", 1200)]
    )
    draft.send_at = T0
    draft.plan = {"batch": 500, "every": 30}
    plan = draft.snapshot().plan
    assert plan is not None and [b.size for b in plan.batches] == [500, 500, 200]
    assert draft.snapshot().plan == plan
    draft.plan = None
    assert "plan" not in draft.snapshot().to_dict()
