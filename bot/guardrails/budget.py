"""The month's SMS budget: what was sent or scheduled this Jalali month, against
``MONTHLY_BUDGET_RIALS``.

A month is a Jalali month in the configured zone (Tehran): it rolls over at 00:00 on the
first of Farvardin, Ordibehesht, …. Each send counts in the month it goes out; a plan
counts each batch in the month of that batch. The cost is the provider's figure where the
bot has it, its estimate otherwise (the dearer operator's price, as the approver saw it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

import jdatetime

from bot.domain import ApprovalRequest, Snapshot, SpendRow

if TYPE_CHECKING:
    from storage.guardrails import GuardrailStore


@dataclass(frozen=True)
class Spend:
    at: datetime  # when it goes out (aware)
    cost: float  # rials


@dataclass(frozen=True)
class BudgetCheck:
    budget: float
    spent: float  # this month so far (sent and scheduled)
    adding: float  # this request's cost falling in this month
    over_by: float  # by how much the request would cross (0: it does not)

    @property
    def crosses(self) -> bool:
        return self.over_by > 0


def month_of(when: datetime, tz: tzinfo) -> tuple[int, int]:
    """The Jalali (year, month) of an aware time, read in ``tz``."""
    jd = jdatetime.datetime.fromgregorian(datetime=when.astimezone(tz))
    return jd.year, jd.month


def month_start(when: datetime, tz: tzinfo) -> datetime:
    """00:00 on the first of the Jalali month holding ``when``, in UTC."""
    year, month = month_of(when, tz)
    first = jdatetime.date(year, month, 1).togregorian()
    local = datetime(first.year, first.month, first.day, tzinfo=tz)
    return local.astimezone(UTC)


def spend_of_snapshot(snapshot: Snapshot, cost: float, at: datetime) -> list[Spend]:
    """A request's cost spread over when it goes out: a single send all at ``at`` (its
    send time, or now), a plan batch by batch in proportion to each batch's rows."""
    plan = snapshot.plan
    if plan is None or plan.rows <= 0:
        return [Spend(at, cost)]
    return [Spend(b.send_at, cost * b.size / plan.rows) for b in plan.batches]


def by_month(items: list[Spend], tz: tzinfo) -> dict[tuple[int, int], float]:
    totals: dict[tuple[int, int], float] = defaultdict(float)
    for item in items:
        totals[month_of(item.at, tz)] += item.cost
    return totals


def check_budget(
    budget: float, spent: list[Spend], request: list[Spend], now: datetime, tz: tzinfo
) -> BudgetCheck:
    """This month's spend and the request's share of it; ``over_by`` is the largest amount
    by which the request pushes any month it touches past the budget."""
    before, adding = by_month(spent, tz), by_month(request, tz)
    this = month_of(now, tz)
    over = 0.0
    for month, extra in adding.items():
        already = before.get(month, 0.0)
        over = max(over, already + extra - max(budget, already))
    return BudgetCheck(budget, before.get(this, 0.0), adding.get(this, 0.0), over)


def _estimate(money: dict[str, Any] | None) -> float | None:
    """The cost the approver saw: the dearer operator's price for everyone."""
    if not money:
        return None
    value = money.get("cost_high")
    if value is None:
        value = money.get("cost_low")
    return None if value is None else float(value)


def spent_items(rows: list[SpendRow], plans: list[tuple[ApprovalRequest, set[int]]]) -> list[Spend]:
    """What was sent or scheduled, each at its send time: broadcast rows (their recorded
    cost, else the estimate at approval; a batch row its share of its plan), and the
    batches of running plans not posted yet (their share of the estimate)."""
    items = []
    for row in rows:
        # a recorded cost covers the snapshot's recipients: a plan's whole rows
        cost = row.known_cost if row.known_cost is not None else _estimate(row.request_money)
        if cost is not None:
            items.append(Spend(row.at, cost * row.share))
    for request, posted in plans:
        cost, plan = _estimate(request.money), request.snapshot.plan
        if cost is None or plan is None or plan.rows <= 0:
            continue
        items += [
            Spend(batch.send_at, cost * batch.size / plan.rows)
            for batch in plan.batches
            if batch.no not in posted
        ]
    return items


async def month_spend(
    store: GuardrailStore, now: datetime, tz: tzinfo, *, leave_out: int | None = None
) -> list[Spend]:
    """Everything sent or scheduled that may fall in this Jalali month (or later);
    ``leave_out`` is a request whose own sends are not counted (its card adds it itself)."""
    since = month_start(now, tz)
    rows = [r for r in await store.spend_rows(since) if r.request_id != leave_out or not leave_out]
    plans = [p for p in await store.unposted_plan_batches(since) if p[0].id != leave_out]
    return [s for s in spent_items(rows, plans) if s.at >= since]


async def check_request(
    store: GuardrailStore,
    budget: float,
    snapshot: Snapshot,
    cost: float | None,
    now: datetime,
    tz: tzinfo,
    *,
    leave_out: int | None = None,
) -> BudgetCheck:
    """The month's budget with this request (its cost at its send time, or its batches')."""
    spent = await month_spend(store, now, tz, leave_out=leave_out)
    at = snapshot.send_time or now
    adding = spend_of_snapshot(snapshot, cost or 0.0, at)
    return check_budget(budget, spent, adding, now, tz)
