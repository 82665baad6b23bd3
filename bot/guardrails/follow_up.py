"""The follow-up nobody has to ask for: a fixed time after a send goes out (a plan: after
its last batch), a summary of its delivery report for the requester and its approvers.

Pure rules here: when a follow-up is due, and what its report says (the delivered share and
the operator that failed most). Scheduling and sending are in :mod:`handlers.follow_up`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import Broadcast, send_time_of
from bot.ippanel import BulkReport, OperatorStats


def single_key(b: Broadcast) -> str:
    return f"b{b.id}"


def went_out_at(b: Broadcast) -> datetime:
    """When a sent row went out: its scheduled time, or when it was posted."""
    return send_time_of(b) or b.updated_at


def due_at(batches: list[Broadcast], minutes: float) -> datetime:
    """``minutes`` after the last of the rows went out (one row for a single send)."""
    return max(went_out_at(b) for b in batches) + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Summary:
    delivered: int
    failed: int
    pending: int
    total: int  # everyone the report counts (blacklisted numbers included)
    worst: str | None  # the operator with the most failed numbers (None: no failure)
    worst_failed: int
    charged: float | None  # the provider's cost figure, summed over the rows' reports

    @property
    def share(self) -> float:
        """Delivered, in percent of everyone counted (100 when nobody is counted yet)."""
        return 100.0 * self.delivered / self.total if self.total else 100.0

    def low(self, threshold: float) -> bool:
        return self.total > 0 and self.share < threshold


def summarize(operators: Mapping[str, OperatorStats], reports: list[BulkReport]) -> Summary:
    kinds = ("delivered", "failed", "pending", "blacklist")
    totals = {k: sum(getattr(s, k) for s in operators.values()) for k in kinds}
    worst = max(operators.items(), key=lambda item: item[1].failed, default=None)
    worst_name = worst[0] if worst is not None and worst[1].failed > 0 else None
    charged = sum(r.cost for r in reports) if reports else None
    return Summary(
        delivered=totals["delivered"],
        failed=totals["failed"],
        pending=totals["pending"],
        total=sum(totals.values()),
        worst=worst_name,
        worst_failed=worst[1].failed if worst is not None else 0,
        charged=charged,
    )
